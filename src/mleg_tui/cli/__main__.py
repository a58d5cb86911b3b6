import sys

from mleg_tui.cli.main import main

sys.exit(main())
