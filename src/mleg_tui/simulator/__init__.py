"""The simulated MC: an aiohttp server on loopback that follows MC's contract (server: start and
the `mc-sim` command; app: the HTTP handlers and faults; state: orders and the clock).

Tooling, not product: only the CLI, the demo and tests import it."""
