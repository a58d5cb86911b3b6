"""The versioned schema: a newer program upgrades an older store, an older one refuses a newer."""
from __future__ import annotations

import re
import zlib
from collections.abc import Callable

from sqlalchemy import Connection, Engine, Table, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.schema import CreateIndex
from sqlmodel import SQLModel, col

from mleg_tui.store import models, person_facts, search
from mleg_tui.store.engine import StoreError, database_error, is_sqlite, missing
from mleg_tui.store.version import SCHEMA_VERSION


def _v2_name_search(conn: Connection) -> None:
    """v2: the trigram index over folded names (FTS5 / pg_trgm), filled from the table."""
    # Two order columns joined version 1 after stores had been made with it (09718e9).
    _add_missing_columns(conn, SQLModel.metadata.tables["orders"], ("pending_actor_kind", "submitted_body"))
    search.install(conn)
    search.rebuild(conn)


def _add_missing_columns(conn: Connection, table: Table, names: tuple[str, ...]) -> None:
    have = {c["name"] for c in inspect(conn).get_columns(table.name)}
    for name in names:
        if name not in have:
            kind = table.c[name].type.compile(conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}")


def _v3_no_truncate(conn: Connection) -> None:
    """v3: on PostgreSQL, TRUNCATE passes row triggers by; the event log refuses it too."""
    protect_events(conn)


def _v4_name_in_date_index(conn: Connection) -> None:
    """v4: the order-date index carries the folded name, so a filter on a common name
    tests it in the index, newest first, without reading each order's row."""
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_orders_ordered")
    conn.exec_driver_sql("CREATE INDEX ix_orders_ordered ON orders (ordered_at, id, name_key)")


def _v5_recorded_at(conn: Connection) -> None:
    """v5: each event keeps the real time it was written beside its business time (a
    fixed `today` moves only the latter). Earlier events stay without one: their real
    time is not known, and the log is append-only."""
    _add_missing_columns(conn, SQLModel.metadata.tables["order_event"], ("recorded_at",))


def _v6_lookup_indexes(conn: Connection) -> None:
    """v6: indexes for finding a person by PESEL and an order by its QR code's text (the
    order reference has its unique index since v1)."""
    tables = SQLModel.metadata.tables
    for ix in (*tables["person"].indexes, *tables["orders"].indexes):
        if ix.name in ("ix_person_pesel", "ix_orders_qr"):
            ix.create(conn, checkfirst=True)


def _v7_access_trace(conn: Connection) -> None:
    """v7: the trace of bulk reads of personal data (each export: who, which list, which
    filter, how many rows), append-only as the event log."""
    SQLModel.metadata.tables["access_event"].create(conn, checkfirst=True)
    protect_access(conn)


def _v8_runs_and_audit(conn: Connection) -> None:
    """v8: the reports of refresh and sweep runs, and the event log's indexes for the
    audit (newest first by the real time, by login, by action)."""
    tables = SQLModel.metadata.tables
    for name in ("job_run", "job_run_item"):
        tables[name].create(conn, checkfirst=True)
    for ix in models.EVENT_INDEXES:  # not checkfirst: reflection skips indexes over expressions
        conn.execute(CreateIndex(ix, if_not_exists=True))


def _v9_error_list_index(conn: Connection) -> None:
    """v9: the orders of one error code in the list's order (date, newest first)."""
    for ix in SQLModel.metadata.tables["orders"].indexes:
        if ix.name == "ix_orders_error_at":
            ix.create(conn, checkfirst=True)


def _v10_person_facts(conn: Connection) -> None:
    """v10: what the overview counts the persons who never ordered by, kept on the person
    (store.person_facts): the reasons about the person alone, and whether they ordered;
    and the index that says from itself whether a programme entitles."""
    false = "false" if conn.dialect.name == "postgresql" else "0"
    have = {c["name"] for c in inspect(conn).get_columns("person")}
    for name, kind in (("blocked_by", "INTEGER NOT NULL DEFAULT 0"),
                       ("has_ordered", f"BOOLEAN NOT NULL DEFAULT {false}")):
        if name not in have:
            conn.exec_driver_sql(f"ALTER TABLE person ADD COLUMN {name} {kind}")
    person_facts.fill_blocked_by(conn)
    person_facts.rebuild_has_ordered(conn)
    tables = SQLModel.metadata.tables
    for ix in (*tables["person"].indexes, *tables["enrolment"].indexes):
        if ix.name in ("ix_person_never_ordered", "ix_enrolment_entitles"):
            conn.execute(CreateIndex(ix, if_not_exists=True))
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("ANALYZE person")
        conn.exec_driver_sql("ANALYZE enrolment")


def _v11_access_by_login(conn: Connection) -> None:
    """v11: one login's exports in the audit's order (newest first), a range of an index."""
    for ix in SQLModel.metadata.tables["access_event"].indexes:
        if ix.name == "ix_access_login_when":
            ix.create(conn, checkfirst=True)


# Steps from version N-1 to N, run in order inside the opening transaction.
# Add a function here whenever the schema changes; never edit a released step.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {2: _v2_name_search, 3: _v3_no_truncate,
                                                      4: _v4_name_in_date_index, 5: _v5_recorded_at,
                                                      6: _v6_lookup_indexes, 7: _v7_access_trace,
                                                      8: _v8_runs_and_audit, 9: _v9_error_list_index,
                                                      10: _v10_person_facts, 11: _v11_access_by_login}


def protect_events(conn: Connection) -> None:
    """The event log refuses changes and deletions in the database itself."""
    _append_only(conn, "order_event")


def protect_access(conn: Connection) -> None:
    """The trace of bulk reads (exports) too: nobody erases that they exported (v7)."""
    _append_only(conn, "access_event")


def _append_only(conn: Connection, table: str) -> None:
    if conn.dialect.name == "sqlite":
        for op in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} "
                f"BEFORE {op} ON {table} BEGIN "
                f"SELECT RAISE(ABORT, '{table} is append-only'); END"
            )
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            f"CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{table} is append-only'; END $$"
        )
        conn.exec_driver_sql(
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"
        )
        conn.exec_driver_sql(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_append_only()"
        )
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        conn.exec_driver_sql(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_append_only()"
        )


def unprotect_events(conn: Connection) -> None:
    """Only for emptying a demo store; protect_events() must follow in the same transaction."""
    if conn.dialect.name == "sqlite":
        for op in ("update", "delete"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS order_event_no_{op}")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS order_event_append_only ON order_event")
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS order_event_no_truncate ON order_event")


def stored_version(conn: Connection) -> int | None:
    if not inspect(conn).has_table("meta"):
        return None
    row = conn.execute(
        select(col(models.Meta.value)).where(col(models.Meta.key) == "schema_version")
    ).first()
    if row is None:
        return None
    if not re.fullmatch(r"[1-9][0-9]{0,5}", row[0] or ""):
        shown = f" („{row[0]}”)" if row[0] and len(row[0]) <= 20 and row[0].isprintable() else ""
        raise StoreError(
            f"Zapis wersji schematu w tej bazie danych jest błędny{shown}: to nie jest sprawny "
            "magazyn mleg-tui. Wskaż właściwą bazę (--db) albo przywróć kopię zapasową; "
            "nic nie zmieniono."
        )
    return int(row[0])


def _set_version(conn: Connection, version: int) -> None:
    conn.execute(text("DELETE FROM meta WHERE key = 'schema_version'"))
    conn.execute(
        text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"), {"v": str(version)}
    )


# PostgreSQL: the key of the lock that makes openers of one database take turns.
_SCHEMA_LOCK = zlib.crc32(b"mleg-tui:schema")


def _one_at_a_time(conn: Connection) -> None:
    """Openers of one store check, create or upgrade it one at a time: otherwise two
    processes starting on a new database both create the tables and one of them fails.
    SQLite: BEGIN IMMEDIATE did it already. PostgreSQL: a lock held to the end of this
    transaction (the next opener then sees the schema committed)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK})")


def ensure(engine: Engine, *, create: bool = True) -> None:
    """Create a new store (only with `create`), upgrade an older one, refuse a newer one.
    A store that is up to date is only read: opening it never waits for a writer."""
    try:
        with engine.connect() as conn:
            found = _check(conn, create=create)
        if found == SCHEMA_VERSION:
            return
        # IMMEDIATE on SQLite: two processes opening a new file do not both create it.
        bind = engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine
        with bind.begin() as conn:
            _one_at_a_time(conn)
            found = _check(conn, create=create)  # again: another opener may have been first
            if found is None:
                SQLModel.metadata.create_all(conn)
                protect_events(conn)
                protect_access(conn)
                search.install(conn)
                person_facts.install(conn)
                _set_version(conn, SCHEMA_VERSION)
                return
            for version in range(found + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[version](conn)
                _set_version(conn, version)
    except SQLAlchemyError as e:  # also "file is not a database", not only OperationalError
        orig = getattr(e, "orig", None)
        if getattr(orig, "sqlite_errorname", None) == "SQLITE_NOTADB":
            raise StoreError(f"Nie można otworzyć bazy danych: {orig}.") from None
        raise database_error(e) from None


def _check(conn: Connection, *, create: bool) -> int | None:
    """The stored version, when this program can work with it (None: a new, empty store)."""
    found = stored_version(conn)
    if found is None:
        if inspect(conn).get_table_names():
            raise StoreError(
                "Ta baza danych zawiera tabele, ale nie jest magazynem mleg-tui "
                "(brak wersji schematu). Wskaż inny plik lub pustą bazę."
            )
        if not create:
            raise missing(conn.engine.url)
    elif found > SCHEMA_VERSION:
        raise StoreError(
            f"Baza danych ma schemat w wersji {found}, a ten program zna najwyżej "
            f"wersję {SCHEMA_VERSION}. Zaktualizuj mleg-tui; baza nie została zmieniona."
        )
    return found
