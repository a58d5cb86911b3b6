"""The floor for bench_felt.py: a bare Textual app, one Static, started as mleg-tui is."""
from textual.app import App, ComposeResult
from textual.widgets import Static


class Bare(App[None]):
    BINDINGS = [("q", "quit", "Wyjście")]

    def compose(self) -> ComposeResult:
        yield Static("Zamówienia mLegitymacji GOTOWE")


if __name__ == "__main__":
    Bare().run()
