"""Name search that stays fast with a million orders: substring, case- and
diacritic-insensitive, over the folded name (`domain.names.fold`).

SQLite: an FTS5 trigram index over person.name_key, kept in step by triggers.
PostgreSQL: a pg_trgm GIN index over the same column. Words shorter than three letters
(no trigram) fall back to a plain LIKE.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, and_, literal_column, or_, select, text
from sqlalchemy.sql import ColumnElement
from sqlmodel import col

from mleg_tui.store.models import Person

_SQLITE_TRIGGERS = {
    "person_fts_ai": "AFTER INSERT ON person BEGIN "
    "INSERT INTO person_fts(rowid, name_key) VALUES (new.id, new.name_key); END",
    "person_fts_ad": "AFTER DELETE ON person BEGIN "
    "INSERT INTO person_fts(person_fts, rowid, name_key) VALUES ('delete', old.id, old.name_key); END",
    "person_fts_au": "AFTER UPDATE OF name_key ON person BEGIN "
    "INSERT INTO person_fts(person_fts, rowid, name_key) VALUES ('delete', old.id, old.name_key); "
    "INSERT INTO person_fts(rowid, name_key) VALUES (new.id, new.name_key); END",
}


def install(conn: Connection) -> None:
    """Create the index and what keeps it in step with every write."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE IF NOT EXISTS person_fts USING fts5("
            "name_key, content='person', content_rowid='id', tokenize='trigram')"
        )
        add_triggers(conn)
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.exec_driver_sql(_PG_INDEX)


def add_triggers(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for name, body in _SQLITE_TRIGGERS.items():
            conn.exec_driver_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")


_PG_INDEX = ("CREATE INDEX IF NOT EXISTS ix_person_name_trgm ON person "
             "USING gin (name_key gin_trgm_ops)")


def suspend(conn: Connection) -> None:
    """Before a bulk load: keeping the index in step row by row is the slow way;
    `rebuild` afterwards puts it right in one pass."""
    if conn.dialect.name == "sqlite":
        for name in _SQLITE_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_person_name_trgm")


def rebuild(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT INTO person_fts(person_fts) VALUES ('rebuild')")
        add_triggers(conn)
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_PG_INDEX)


def _quote(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


MIN_WORD = 3  # a trigram index answers only words of three letters or more


def person_ids(dialect: str, words: list[str]) -> Any:
    """A subquery of the ids of persons whose folded name contains every word."""
    long = [w for w in words if len(w) >= MIN_WORD]
    short = [w for w in words if len(w) < MIN_WORD]
    if dialect == "sqlite" and long:
        match = " AND ".join(_quote(w) for w in long)
        matched: Select[Any] = select(literal_column("rowid")).select_from(text("person_fts")).where(
            text("person_fts MATCH :m").bindparams(m=match)
        )
        if short:
            return select(col(Person.id)).where(col(Person.id).in_(matched), *(_like(w) for w in short))
        return matched
    return select(col(Person.id)).where(and_(*(_like(w) for w in words)))


def like_escaped(word: str) -> str:
    """`word` for a LIKE pattern with escape character backslash: matched as itself."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like(word: str) -> ColumnElement[bool]:
    return col(Person.name_key).like(f"%{like_escaped(word)}%", escape="\\")


def starting_with(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, as a range its index serves on every database (LIKE
    'x%' uses a PostgreSQL index only in the C collation). The upper end is the prefix with
    its last character one up: a linguistic collation sorts every string starting with
    the prefix below that, where a sentinel such as U+FFFF may be ignored."""
    upper = prefix[:-1] + chr(min(ord(prefix[-1]) + 1, 0x10FFFF))
    return and_(column >= prefix, column < upper)


def starting_exactly(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, each of its characters taken as itself (_ and % too),
    served by the column's index on every database. The range is on the prefix up to its
    last letter or digit: a linguistic collation (glibc's) may pass over punctuation, so a
    range whose end is "PESEL`" misses PESEL_MISMATCH. LIKE then tests what the range found."""
    exact = column.startswith(prefix, autoescape=True)
    lead = prefix.rstrip(_PUNCTUATION)
    return and_(starting_with(column, lead), exact) if lead else exact


_PUNCTUATION = "".join(chr(c) for c in range(0x20, 0x7F) if not chr(c).isalnum())


def surname_starting(lead: str, others: list[str]) -> list[ColumnElement[bool]]:
    """The folded name ("last first") starts with `lead` and each of `others` starts one
    of its later words (after a space or a hyphen): a range on the name's index, the rest
    tested on the index entries."""
    key = col(Person.name_key)
    conds = [starting_with(key, lead)]
    for w in others:
        w = like_escaped(w)
        conds.append(or_(key.like(f"% {w}%", escape="\\"), key.like(f"%-{w}%", escape="\\")))
    return conds

