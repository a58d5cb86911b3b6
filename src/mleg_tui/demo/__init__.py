"""The demo: `mleg-tui demo` (run), the synthetic store it and `demo-data` build (data, names).

Tooling, not product: only the CLI and tests import it."""
