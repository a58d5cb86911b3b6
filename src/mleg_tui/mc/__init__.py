"""The gateway to MC, the Ministry's issuing service (client side only; the simulator
lives in mleg_tui.simulator.server and is imported on demand). Never imports textual."""
from mleg_tui.mc.client import MCClient, MCConfig
from mleg_tui.mc.errors import (
    MCAuthError,
    MCConflict,
    MCError,
    MCNotFound,
    MCProtocolError,
    MCRejected,
    MCUnavailable,
)
from mleg_tui.mc.models import MCOrder, SubmitRequest

__all__ = [
    "MCAuthError",
    "MCClient",
    "MCConfig",
    "MCConflict",
    "MCError",
    "MCNotFound",
    "MCOrder",
    "MCProtocolError",
    "MCRejected",
    "MCUnavailable",
    "SubmitRequest",
]
