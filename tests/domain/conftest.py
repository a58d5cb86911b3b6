"""The domain's rules are pure functions of their arguments: these tests need no store,
no MC and no fixture beyond tests/conftest.py's isolated environment."""
