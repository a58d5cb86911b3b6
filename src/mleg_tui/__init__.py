"""mleg-tui: mLegitymacja orders for the dean's office."""
__version__ = "0.1.0"
