"""The import's scratch space: the register's rows in a private temporary SQLite database.

The importer checks a whole file before it writes anything, and a file may be large: its
rows are kept here instead of in memory (SQLite spills its pages to disk past a small
cache, so memory stays flat in the file's size), and the checks across rows are queries.
The database is SQLite's private temporary one (an empty file name): on disk, unlinked
at once, gone when closed. Only the standard library is used, whatever the store is.
"""
from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

# A staged row: the file's line, then these values (dates as ISO text, has_photo 0/1).
PERSON_COLUMNS = ("album", "first_name", "last_name", "pesel", "birth_date", "has_photo")
ROW_COLUMNS = ("person_id", *PERSON_COLUMNS, "programme_code", "programme_name", "level",
               "status", "status_date", "planned_end_date")

_SCHEMA = f"""
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE row (line INTEGER PRIMARY KEY, {', '.join(ROW_COLUMNS)});  -- values as given
CREATE TABLE bad (line INTEGER NOT NULL, person_id TEXT, reason TEXT NOT NULL);
CREATE TABLE skip (person_id TEXT PRIMARY KEY);
CREATE TABLE handover (person_id TEXT PRIMARY KEY, album TEXT NOT NULL);
"""
# `person`: each person's first row (its line and album), made once every row is in.
_PERSONS = """
CREATE INDEX row_person ON row (person_id, line);
CREATE TABLE person AS SELECT person_id, min(line) AS line FROM row GROUP BY person_id;
CREATE UNIQUE INDEX person_id ON person (person_id);
ALTER TABLE person ADD COLUMN album TEXT;
UPDATE person SET album = (SELECT album FROM row WHERE row.line = person.line);
CREATE INDEX person_line ON person (line);
CREATE INDEX person_album ON person (album, line);
"""
_IMPORTED = "person_id NOT IN (SELECT person_id FROM skip)"


class Staging:
    """Good rows (`add_rows`), bad lines with why (`add_bad`), the persons left out
    (`skip`), the albums that pass from one person to another (`handover`)."""

    def __init__(self) -> None:
        self.db = sqlite3.connect("", isolation_level=None)
        self.db.executescript(_SCHEMA)
        self._persons = False

    def close(self) -> None:
        self.db.close()

    def add_rows(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """(line, *ROW_COLUMNS) each, in one transaction."""
        marks = ", ".join("?" * (len(ROW_COLUMNS) + 1))
        with self.db:
            self.db.executemany(f"INSERT INTO row VALUES ({marks})", rows)

    def add_bad(self, line: int, reason: str, person_id: str | None = None) -> None:
        self.db.execute("INSERT INTO bad VALUES (?, ?, ?)", (line, person_id or None, reason))

    def bad_total(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM bad").fetchone()[0])

    def bad(self, limit: int) -> list[tuple[int, str | None, str]]:
        """The first `limit` bad lines (line, person_id, reason), by line, as they came."""
        return self.db.execute("SELECT line, person_id, reason FROM bad ORDER BY line, rowid LIMIT ?",
                               (limit,)).fetchall()

    # -- across rows (every row is in) ---------------------------------------------------
    def index_persons(self) -> None:
        if not self._persons:
            self.db.executescript(_PERSONS)
            self._persons = True

    def disagreeing_rows(self) -> list[tuple[Any, ...]]:
        """(line, person_id, the person's first line, *one flag per PERSON_COLUMNS: differs)
        for each later row of a person that does not agree with the person's first row."""
        differs = [f"r.{c} IS NOT f.{c}" for c in PERSON_COLUMNS]
        return self.db.execute(
            f"SELECT r.line, r.person_id, p.line, {', '.join(differs)} FROM row r "
            "JOIN person p ON p.person_id = r.person_id JOIN row f ON f.line = p.line "
            f"WHERE r.line <> p.line AND ({' OR '.join(differs)}) ORDER BY r.line").fetchall()

    def repeated_programmes(self) -> list[tuple[int, str, str, int]]:
        """(line, person_id, programme_code, first line with it) for each repetition."""
        return self.db.execute(
            "SELECT r.line, r.person_id, r.programme_code, d.line FROM row r JOIN "
            "(SELECT person_id, programme_code, min(line) AS line FROM row "
            " GROUP BY person_id, programme_code HAVING count(*) > 1) d "
            "ON d.person_id = r.person_id AND d.programme_code = r.programme_code "
            "WHERE r.line > d.line ORDER BY r.line").fetchall()

    def shared_albums(self) -> list[tuple[int, str, str, str]]:
        """(first line, person_id, album, the person who gives it first in the file) for
        each person giving an album that another one gives too (the first one included)."""
        return self.db.execute(
            "SELECT p.line, p.person_id, p.album, (SELECT o.person_id FROM person o "
            " WHERE o.album = p.album ORDER BY o.line LIMIT 1) AS owner FROM person p "
            "WHERE p.album IN (SELECT album FROM person WHERE album IS NOT NULL "
            " GROUP BY album HAVING count(*) > 1) ORDER BY p.line").fetchall()

    # -- who is imported --------------------------------------------------------------------
    def skip_bad_persons(self) -> None:
        """Leave out every person with a bad line."""
        self.db.execute("INSERT OR IGNORE INTO skip SELECT person_id FROM bad WHERE person_id IS NOT NULL")

    def skipped(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM skip").fetchone()[0])

    def imported(self, chunk: int) -> Iterator[list[tuple[str, int, str | None]]]:
        """(person_id, first line, album) of every person to import, `chunk` at a time."""
        cur = self.db.execute(f"SELECT person_id, line, album FROM person WHERE {_IMPORTED} ORDER BY line")
        while rows := cur.fetchmany(chunk):
            yield rows

    def is_imported(self, person_id: str) -> bool:
        return self.db.execute(f"SELECT 1 FROM person WHERE person_id = ? AND {_IMPORTED}",
                               (person_id,)).fetchone() is not None

    def rows_of(self, first_line: int, last_line: int) -> dict[str, list[tuple[Any, ...]]]:
        """Rows (line, *ROW_COLUMNS) of the persons to import whose first rows lie in
        [first_line, last_line], by person, in the file's order."""
        out: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for r in self.db.execute(
            f"SELECT r.line, {', '.join('r.' + c for c in ROW_COLUMNS)} FROM person p "
            f"JOIN row r ON r.person_id = p.person_id WHERE p.line BETWEEN ? AND ? AND p.{_IMPORTED} "
            "ORDER BY r.line", (first_line, last_line)):
            out[r[1]].append(r)
        return out

    def clear_handovers(self) -> None:
        self.db.execute("DELETE FROM handover")

    def add_handover(self, person_id: str, album: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO handover VALUES (?, ?)", (person_id, album))

    def handovers(self) -> dict[str, str]:
        """Persons who give their album up to another person in the file: the album."""
        return dict(self.db.execute("SELECT person_id, album FROM handover").fetchall())
