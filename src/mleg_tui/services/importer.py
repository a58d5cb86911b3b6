"""Import of persons and enrolments from the register's CSV: all or nothing.

One row per enrolment. A person's rows replace that person's enrolments; persons not in
the file are untouched. Any bad row rejects the whole file (every bad line listed, as an
editor numbers them: the header is line 1); with skip_invalid the persons with a bad row
are left out whole, so nobody's programmes are half-replaced. A row that cannot be read
as CSV at all (an unclosed quote, a field over the csv module's limit, a wrong number of
fields) ends the part of the file that can be trusted - the rows after it may be shifted
or swallowed - so nothing is imported, with or without skip_invalid.

Memory stays flat in the file's size: the file is read a line at a time, every row is
checked as it comes and kept in a private temporary SQLite database (deleted when the
import ends); the checks across rows are queries on it, and the store is written a chunk
of persons at a time, in one transaction. The store is opened only once the file has been
read and checked, so a file that will not be imported never creates a store.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import itertools
import os
import re
import stat
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sqlalchemy import bindparam, delete, insert, select, update

from mleg_tui.clock import utc
from mleg_tui.domain.dates import parse_optional_date
from mleg_tui.domain.names import name_key, plural
from mleg_tui.domain.rules import Level, ProgrammeStatus
from mleg_tui.errors import UserError
from mleg_tui.services.context import Context, Permission
from mleg_tui.store import StoreMissing, remove_new_store, writing
from mleg_tui.store.models import Enrolment, Order, Person
from mleg_tui.store.person_facts import blocked_by
from mleg_tui.store.staging import PERSON_COLUMNS, Staging

COLUMNS = (
    "person_id", "album", "first_name", "last_name", "pesel", "birth_date", "has_photo",
    "programme_code", "programme_name", "level", "programme_status", "status_date",
    "planned_end_date",
)
PERSON_FIELDS = PERSON_COLUMNS  # a person's rows must agree on these
ENROLMENT_FIELDS = ("programme_name", "level", "status", "status_date", "planned_end_date")
TRUE = {"true", "1", "tak", "t", "yes", "y"}
FALSE = {"false", "0", "nie", "n", "f", "no"}
CHUNK = 500
# Longest text each column may hold: the store's own column sizes, so the limits are one
# set for SQLite (which would store anything) and PostgreSQL (which refuses more).
_P, _E = Person.__table__.c, Enrolment.__table__.c  # type: ignore[attr-defined]
LIMITS = {
    "person_id": _P.external_id.type.length, "album": _P.album.type.length,
    "first_name": _P.first_name.type.length, "last_name": _P.last_name.type.length,
    "pesel": _P.pesel.type.length, "programme_code": _E.programme_code.type.length,
    "programme_name": _E.programme_name.type.length,
}
OTHER_LIMIT = 64  # a date, a flag, a level or a status: anything longer is not one
NAME_KEY_LIMIT = _P.name_key.type.length
MAX_LINE = 1 << 20  # bytes of one physical line: a register row is a few hundred
MAX_LISTED = 1000  # bad lines listed (all are counted)
# Text that steers a terminal or reorders what is shown, never in the register's data:
# C0 and C1 controls (Unicode's Cc, NUL and tab included), line and paragraph separators,
# bidirectional embeddings, overrides, isolates and marks. Letters, combining marks and
# the joiners some scripts need stay.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass
class BadLine:
    line: int
    reason: str
    person_id: str | None = None  # whose row it is, when the line says

    def __str__(self) -> str:
        return f"wiersz {self.line}: {self.reason}"


@dataclass
class ImportReport:
    persons_added: int = 0
    persons_updated: int = 0
    persons_unchanged: int = 0
    enrolments_added: int = 0
    enrolments_updated: int = 0
    enrolments_removed: int = 0
    enrolments_unchanged: int = 0
    persons_skipped: int = 0
    bad: list[BadLine] = field(default_factory=list)  # the first MAX_LISTED, by line
    bad_total: int = 0

    def summary(self) -> str:
        text = (
            f"Osoby: dodano {self.persons_added}, zaktualizowano {self.persons_updated}, "
            f"bez zmian {self.persons_unchanged}. Programy: dodano {self.enrolments_added}, "
            f"zaktualizowano {self.enrolments_updated}, usunięto {self.enrolments_removed}, "
            f"bez zmian {self.enrolments_unchanged}."
        )
        if self.persons_skipped:
            text += f" Pominięto {plural(self.persons_skipped, 'osobę', 'osoby', 'osób')} z błędnymi wierszami."
        return text


def _listing(bad: list[BadLine], total: int) -> str:
    lines = "\n".join(f"  {b}" for b in bad)
    if total > len(bad):
        lines += f"\n  … i {total - len(bad)} dalszych"
    return lines


class ImportRejected(UserError):
    def __init__(self, path: str, bad: list[BadLine], total: int | None = None,
                 broken: BadLine | None = None):
        self.bad = bad
        self.broken = broken
        total = len(bad) if total is None else total
        count = plural(total, "błędny wiersz", "błędne wiersze", "błędnych wierszy")
        if broken is None:
            head = (f"Plik {path} nie został zaimportowany ({count}; nic nie zmieniono). "
                    "Popraw je albo użyj --skip-invalid:")
        else:
            head = (f"Plik {path} nie został zaimportowany (nic nie zmieniono): od wiersza "
                    f"{broken.line} nie da się go odczytać jako CSV, więc wierszom od tego miejsca "
                    "nie można ufać (mogą być przesunięte albo połknięte); --skip-invalid tu nie "
                    f"pomoże. Popraw plik ({count}):")
        super().__init__(f"{head}\n{_listing(bad, total)}")


class _Broken(Exception):
    """The file cannot be read as CSV from this line on."""

    def __init__(self, line: int, reason: str):
        self.bad = BadLine(line, reason)


# -- reading the file ---------------------------------------------------------------------

_KINDS = {stat.S_IFDIR: "katalog", stat.S_IFIFO: "potok (FIFO)", stat.S_IFCHR: "urządzenie",
          stat.S_IFBLK: "urządzenie blokowe", stat.S_IFSOCK: "gniazdo"}


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB".replace(".", ",")


def _open(path: Path, max_bytes: int) -> IO[bytes]:
    """The file, if it is a regular file within the size limit. Opened without blocking,
    so a FIFO is refused instead of waiting forever for a writer."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise UserError(f"Nie można odczytać pliku {path}: {e.strerror}.") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = _KINDS.get(stat.S_IFMT(st.st_mode), "nie zwykły plik")
            raise UserError(f"{path} to {kind}, nie zwykły plik: wskaż plik CSV z rejestru. "
                            "Nic nie zaimportowano.")
        if st.st_size > max_bytes:
            raise _too_big(path, st.st_size, max_bytes)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _too_big(path: Path, size: int | None, max_bytes: int) -> UserError:
    has = f"ma {_size(size)}, " if size is not None else ""
    return UserError(
        f"Plik {path} {has}więcej niż pozwala ustawienie import_max_mb ({max_bytes // 2**20} MB): "
        "podziel go na mniejsze albo zwiększ import_max_mb. Nic nie zaimportowano."
    )


def _lines(f: IO[bytes], path: Path, max_bytes: int) -> Iterator[str]:
    """The file's lines as text, one at a time, each checked to be UTF-8 where it is."""
    total = 0
    for n in itertools.count(1):
        raw = f.readline(MAX_LINE + 1)
        if not raw:
            return
        total += len(raw)
        if total > max_bytes:  # it grew while being read
            raise _too_big(path, None, max_bytes)
        if len(raw) > MAX_LINE:
            raise _Broken(n, f"wiersz dłuższy niż {MAX_LINE // 2**20} MB")
        try:
            yield raw.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError:
            raise UserError(
                f"Plik {path} nie jest zapisany w UTF-8 (wiersz {n}); zapisz go jako UTF-8. "
                "Nic nie zaimportowano."
            ) from None


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d])


def _csv_problem(e: csv.Error) -> str:
    text = str(e)
    if "field larger than field limit" in text:
        return f"pole dłuższe niż {csv.field_size_limit()} znaków (niezamknięty cudzysłów?)"
    if "new-line character seen in unquoted field" in text:
        return "znak końca wiersza (CR) wewnątrz pola"
    return f"błąd formatu CSV: {text}"


def _bool(text: str) -> bool:
    t = text.strip().lower()
    if t in TRUE:
        return True
    if t in FALSE:
        return False
    raise ValueError(f"has_photo „{text}”: wpisz true/false (albo 1/0, tak/nie)")


def _text_problem(name: str, value: str) -> str | None:
    """Too long for the store, or holding characters that are no part of a name."""
    limit = LIMITS.get(name, OTHER_LIMIT)
    if len(value) > limit:
        return f"{name}: {len(value)} znaków, najwyżej {limit}"
    if (m := _CONTROL.search(value)) is None:
        return None
    at = m.start() + 1
    if m.group() == "\0":
        return f"{name}: bajt zerowy (NUL) w znaku {at}: plik uszkodzony albo nie w UTF-8?"
    return f"{name}: znak sterujący U+{ord(m.group()):04X} w znaku {at}"


def _parse_row(rec: dict[str, str]) -> tuple[tuple[Any, ...] | None, list[str]]:
    """The row as staged (person_id, person fields..., enrolment fields...), or why not."""
    problems: list[str] = []
    v = {k: (rec.get(k) or "").strip() for k in COLUMNS}

    def date(name: str) -> str | None:
        try:
            d = parse_optional_date(v[name])
        except ValueError as e:
            problems.append(f"{name}: {e}")
            return None
        return d.isoformat() if d else None

    for name in COLUMNS:
        if (why := _text_problem(name, v[name])) is not None:
            problems.append(why)
    if problems:  # the other checks would only quote the same bad text again
        return None, problems
    for required in ("person_id", "first_name", "last_name", "programme_code"):
        if not v[required]:
            problems.append(f"brak wartości w kolumnie {required}")
    has_photo = False
    try:
        has_photo = _bool(v["has_photo"])
    except ValueError as e:
        problems.append(str(e))
    level = v["level"].upper()
    if level not in Level.__members__:
        problems.append(f"nieznany poziom „{v['level']}” (dozwolone: I, II, JM, DR, PD)")
    status = v["programme_status"].upper()
    if status not in ProgrammeStatus.__members__:
        problems.append(
            f"nieznany status programu „{v['programme_status']}” "
            "(dozwolone: ACTIVE, GRADUATED, STRUCK_OFF)"
        )
    birth, status_date, planned_end = date("birth_date"), date("status_date"), date("planned_end_date")
    if status in ("GRADUATED", "STRUCK_OFF") and not v["status_date"]:
        problems.append(f"status {status} wymaga daty status_date (kiedy nastąpił)")
    if len(name_key(v["first_name"], v["last_name"])) > NAME_KEY_LIMIT:
        problems.append(f"imię i nazwisko razem za długie (najwyżej {NAME_KEY_LIMIT} znaków po uproszczeniu)")
    if problems:
        return None, problems
    pesel = v["pesel"].replace(" ", "") or None
    return (v["person_id"], v["album"] or None, v["first_name"], v["last_name"], pesel, birth,
            int(has_photo), v["programme_code"], v["programme_name"] or v["programme_code"], level,
            status, status_date, planned_end), []


class Register:
    """The file, read and checked: its good rows, its bad lines with why (in `stage`), and
    the line from which it cannot be read as CSV, if any."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.stage = Staging()
        self.broken: BadLine | None = None

    def close(self) -> None:
        self.stage.close()

    @property
    def bad_total(self) -> int:
        return self.stage.bad_total()

    def listed_bad(self) -> list[BadLine]:
        return [BadLine(line, reason, pid) for line, pid, reason in self.stage.bad(MAX_LISTED)]

    def rejected(self) -> ImportRejected:
        return ImportRejected(str(self.path), self.listed_bad(), self.bad_total, self.broken)


def read_register(path: str | Path, max_bytes: int) -> Register:
    """Read and check the whole file; the caller closes the register."""
    path = Path(path)
    reg = Register(path)
    try:
        with _open(path, max_bytes) as f:
            _stage(reg, _lines(f, path, max_bytes))
    except _Broken as e:
        reg.broken = e.bad
        reg.stage.add_bad(e.bad.line, e.bad.reason)
    except BaseException:
        reg.close()
        raise
    _check_across_rows(reg)  # up to a broken line too: all that is known is listed
    return reg


def _stage(reg: Register, lines: Iterator[str]) -> None:
    path = reg.path
    first = next(lines, None)
    if first is None or not first.strip():
        raise UserError(f"Plik {path} jest pusty; oczekiwano nagłówka: {','.join(COLUMNS)}.")
    reader = csv.reader(itertools.chain([first], lines), delimiter=_delimiter(first))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as e:
        raise _Broken(1, _csv_problem(e)) from None
    if reader.line_num > 1:
        raise _Broken(1, f"nagłówek zajmuje wiersze 1-{reader.line_num} (niezamknięty cudzysłów?)")
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise UserError(
            f"Plik {path}: w nagłówku (wiersz 1) brak kolumn: {', '.join(missing)}. "
            f"Oczekiwany nagłówek: {','.join(COLUMNS)}."
        )
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise UserError(
            f"Plik {path}: w nagłówku (wiersz 1) powtórzone kolumny: {', '.join(twice)}; "
            "każda kolumna może wystąpić raz. Nic nie zaimportowano."
        )
    pid_at = header.index("person_id")
    start = reader.line_num + 1  # where the next record starts (a quoted field may span lines)
    batch: list[tuple[Any, ...]] = []
    try:
        while True:
            line = start
            try:
                values = next(reader, None)
            except csv.Error as e:
                span = f" (wiersze {line}-{reader.line_num})" if reader.line_num > line else ""
                raise _Broken(line, _csv_problem(e) + span) from None
            if values is None:
                break
            start = reader.line_num + 1
            if start - 1 > line:
                raise _Broken(line, f"rekord zajmuje wiersze {line}-{start - 1}: niezamknięty cudzysłów "
                                    "albo znak końca wiersza w polu")
            if not any(x.strip() for x in values):
                continue
            if len(values) != len(header):
                raise _Broken(line, f"{len(values)} pól zamiast {len(header)}")
            rec = dict(zip(header, values))
            row, problems = _parse_row(rec)
            if row is None:
                pid = values[pid_at].strip()
                reg.stage.add_bad(line, "; ".join(problems),
                                  pid if len(pid) <= LIMITS["person_id"] and pid.isprintable() else None)
                continue
            batch.append((line, *row))
            if len(batch) >= 1000:
                reg.stage.add_rows(batch)
                batch.clear()
    finally:  # the rows before a broken line too: they are checked across rows as well
        reg.stage.add_rows(batch)


def _check_across_rows(reg: Register) -> None:
    """A person's rows agree with each other, a programme comes once per person, an album
    belongs to one person: every row that breaks this is a bad line."""
    stage = reg.stage
    stage.index_persons()
    for line, pid, first_line, *differs in stage.disagreeing_rows():
        names = ", ".join(c for c, d in zip(PERSON_FIELDS, differs) if d)
        stage.add_bad(line, f"osoba {pid}: {names} inne niż w wierszu {first_line}", pid)
    for line, pid, code, first_line in stage.repeated_programmes():
        stage.add_bad(line, f"osoba {pid}: program {code} powtórzony (wiersz {first_line})", pid)
    for line, pid, album, owner in stage.shared_albums():
        if owner != pid:
            stage.add_bad(line, f"numer albumu {album} ma też osoba {owner}", pid)


# -- writing the store --------------------------------------------------------------------

def import_csv(ctx: Context, path: str | Path, *, skip_invalid: bool = False) -> ImportReport:
    """Import into the open store of `ctx`."""
    with contextlib.closing(read_register(path, _max_bytes(ctx))) as reg:
        return _apply(ctx, reg, skip_invalid)


def import_file(open_store: Callable[[bool], Context], path: str | Path, *,
                skip_invalid: bool = False, max_bytes: int) -> ImportReport:
    """`mleg-tui import`: the file is read and checked before the store is opened
    (`open_store(create)`), so a file that will not be imported never creates a store, and
    a store made for this import goes again if the import fails."""
    with contextlib.closing(read_register(path, max_bytes)) as reg:
        if reg.broken is not None:
            raise reg.rejected()
        try:
            ctx, new = open_store(False), False
        except StoreMissing:
            if reg.bad_total and not skip_invalid:
                raise reg.rejected() from None  # a new store would hold nothing it could conflict with
            ctx, new = open_store(True), True
        try:
            return _apply(ctx, reg, skip_invalid)
        except BaseException:
            if new:
                remove_new_store(ctx.engine)
            raise


def _max_bytes(ctx: Context) -> int:
    return int(ctx.settings.import_max_mb) * 2**20


def _apply(ctx: Context, reg: Register, skip_invalid: bool) -> ImportReport:
    ctx.require(Permission.IMPORT)
    if reg.broken is not None:
        raise reg.rejected()
    with writing(ctx.engine) as s:
        if skip_invalid:
            reg.stage.skip_bad_persons()
        # A person left out keeps their album in the store, which someone else may take:
        # leave that one out too, until nobody new is left out.
        while _album_conflicts(s, reg.stage) and skip_invalid:
            reg.stage.skip_bad_persons()
        if reg.bad_total and not skip_invalid:
            raise reg.rejected()
        report = ImportReport(bad=reg.listed_bad(), bad_total=reg.bad_total,
                              persons_skipped=reg.stage.skipped())
        _write(ctx, s, reg.stage, report)
    return report


def _album_conflicts(s: Any, stage: Staging) -> int:
    """Bad lines for albums that the store gives another person who keeps them after this
    import (returns how many); records the albums that pass from one person to another."""
    stage.clear_handovers()
    found = 0
    pt = Person.__table__  # type: ignore[attr-defined]
    for chunk in stage.imported(CHUNK):
        wanted = {album: (pid, line) for pid, line, album in chunk if album}
        if not wanted:
            continue
        for owner, album in s.execute(select(pt.c.external_id, pt.c.album).where(pt.c.album.in_(list(wanted)))):
            pid, line = wanted[album]
            if owner == pid:
                continue
            if stage.is_imported(owner):  # the owner gets another album from the file: a handover
                stage.add_handover(owner, album)
            else:
                stage.add_bad(line, f"numer albumu {album} ma w bazie osoba {owner}", pid)
                found += 1
    return found


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _write(ctx: Context, s: Any, stage: Staging, report: ImportReport) -> None:
    now = utc(ctx.clock.now())
    conn = s.connection()
    pt = Person.__table__  # type: ignore[attr-defined]
    # Albums change hands safely: the old owners give theirs up first (the column is unique).
    handed = stage.handovers()
    owners = list(handed)
    for i in range(0, len(owners), CHUNK):
        conn.execute(update(pt).where(pt.c.external_id.in_(owners[i:i + CHUNK])).values(album=None))
    for chunk in stage.imported(CHUNK):
        _write_persons(conn, stage.rows_of(chunk[0][1], chunk[-1][1]), handed, now, report)


def _write_persons(conn: Any, people: dict[str, list[tuple[Any, ...]]], handed: dict[str, str],
                   now: dt.datetime, report: ImportReport) -> None:
    pt, ot = Person.__table__, Order.__table__  # type: ignore[attr-defined]
    fields = (*PERSON_FIELDS, "name_key", "blocked_by")
    existing: dict[str, dict[str, Any]] = {}
    for r in conn.execute(select(pt.c.id, pt.c.external_id, *(pt.c[f] for f in fields))
                          .where(pt.c.external_id.in_(list(people)))):
        stored = dict(zip(fields, r[2:]))
        if r.external_id in handed:  # compare with the album it had before giving it up
            stored["album"] = handed[r.external_id]
        existing[r.external_id] = dict(stored, id=r.id)
    new_people: list[dict[str, Any]] = []
    changed: list[tuple[int, dict[str, Any]]] = []
    for pid, rows in people.items():
        _, _, album, first, last, pesel, birth, photo = rows[0][:8]
        data = {"album": album, "first_name": first, "last_name": last, "pesel": pesel,
                "birth_date": _date(birth), "has_photo": bool(photo), "name_key": name_key(first, last)}
        data["blocked_by"] = blocked_by(pesel, data["birth_date"], data["has_photo"], album)
        old = existing.get(pid)
        if old is None:
            new_people.append(dict(data, external_id=pid, updated_at=now))
        elif any(old[k] != v for k, v in data.items()):
            changed.append((old["id"], data))
        else:
            report.persons_unchanged += 1
    if changed:
        conn.execute(
            update(pt).where(pt.c.id == bindparam("pid"))
            .values({**{k: bindparam(f"v_{k}") for k in fields}, "updated_at": now}),
            [dict({f"v_{k}": data[k] for k in fields}, pid=pid) for pid, data in changed],
        )
        # The order list keeps copies of album and name for sorting.
        conn.execute(
            update(ot).where(ot.c.person_id == bindparam("pid"))
            .values(album=bindparam("v_album"), name_key=bindparam("v_key")),
            [{"pid": pid, "v_album": data["album"] or "", "v_key": data["name_key"]} for pid, data in changed],
        )
    if new_people:
        conn.execute(insert(pt), new_people)
    report.persons_updated += len(changed)
    report.persons_added += len(new_people)
    ids = {pid: old["id"] for pid, old in existing.items()}
    if new_people:
        ids.update((r.external_id, r.id) for r in conn.execute(select(pt.c.external_id, pt.c.id).where(
            pt.c.external_id.in_([p["external_id"] for p in new_people]))))
    _write_enrolments(conn, people, ids, report)


def _write_enrolments(conn: Any, people: dict[str, list[tuple[Any, ...]]], ids: dict[str, int],
                      report: ImportReport) -> None:
    et = Enrolment.__table__  # type: ignore[attr-defined]
    current: dict[int, dict[str, tuple[Any, ...]]] = defaultdict(dict)
    for r in conn.execute(select(et.c.id, et.c.person_id, et.c.programme_code, *(et.c[f] for f in ENROLMENT_FIELDS))
                          .where(et.c.person_id.in_(list(ids.values())))):
        current[r.person_id][r.programme_code] = (r.id, *r[3:])
    adds: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    removes: list[int] = []
    for pid, rows in people.items():
        person_id = ids[pid]
        have = current.get(person_id, {})
        for r in rows:
            code, name, level, status, status_date, planned_end = r[8:14]
            values = (name, level, status, _date(status_date), _date(planned_end))
            old = have.pop(code, None)
            data = dict(zip(ENROLMENT_FIELDS, values))
            if old is None:
                adds.append(dict(data, person_id=person_id, programme_code=code))
            elif tuple(old[1:]) != values:
                updates.append(dict({f"v_{k}": v for k, v in data.items()}, eid=old[0]))
            else:
                report.enrolments_unchanged += 1
        removes.extend(e[0] for e in have.values())
    if removes:
        conn.execute(delete(et).where(et.c.id.in_(removes)))
    if updates:
        conn.execute(
            update(et).where(et.c.id == bindparam("eid"))
            .values({k: bindparam(f"v_{k}") for k in ENROLMENT_FIELDS}), updates)
    if adds:
        conn.execute(insert(et), adds)
    report.enrolments_added += len(adds)
    report.enrolments_updated += len(updates)
    report.enrolments_removed += len(removes)
