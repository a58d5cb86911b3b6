"""Helpers the tests import by name (`from support.register import enrolment`): the
register's CSV, the store on either database and the PostgreSQL server, the command line,
MC and its simulator, the TUI. Fixtures live in the conftest.py of the folder that uses
them (tests/conftest.py for those every folder shares)."""
