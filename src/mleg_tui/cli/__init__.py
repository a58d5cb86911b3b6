"""The `mleg-tui` command (main) and its plain-text renderers (textviews)."""
from mleg_tui.cli.main import build_parser, main, settings_for

__all__ = ["build_parser", "main", "settings_for"]
