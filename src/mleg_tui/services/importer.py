"""Import of persons and enrolments from the register's CSV: all or nothing.

One row per enrolment. A person's rows replace that person's enrolments; persons not in
the file are untouched. Any bad row rejects the whole file (every bad line listed, as an
editor numbers them: the header is line 1); with skip_invalid the persons with a bad row
are left out whole, so nobody's programmes are half-replaced.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlmodel import col

from mleg_tui.clock import utc
from mleg_tui.domain.dates import parse_optional_date
from mleg_tui.domain.names import name_key, plural
from mleg_tui.domain.rules import Level, ProgrammeStatus
from mleg_tui.errors import UserError
from mleg_tui.services.context import Context, Permission
from mleg_tui.store import writing
from mleg_tui.store.models import Enrolment, Order, Person

COLUMNS = (
    "person_id", "album", "first_name", "last_name", "pesel", "birth_date", "has_photo",
    "programme_code", "programme_name", "level", "programme_status", "status_date",
    "planned_end_date",
)
PERSON_FIELDS = ("album", "first_name", "last_name", "pesel", "birth_date", "has_photo")
ENROLMENT_FIELDS = ("programme_name", "level", "status", "status_date", "planned_end_date")
TRUE = {"true", "1", "tak", "t", "yes", "y"}
FALSE = {"false", "0", "nie", "n", "f", "no"}
CHUNK = 500


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
    bad: list[BadLine] = field(default_factory=list)

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


class ImportRejected(UserError):
    def __init__(self, path: str, bad: list[BadLine]):
        self.bad = bad
        lines = "\n".join(f"  {b}" for b in bad)
        super().__init__(
            f"Plik {path} nie został zaimportowany "
            f"({plural(len(bad), 'błędny wiersz', 'błędne wiersze', 'błędnych wierszy')}; nic nie "
            f"zmieniono). Popraw je albo użyj --skip-invalid:\n{lines}"
        )


@dataclass
class _Row:
    line: int
    person_id: str
    person: dict[str, Any]
    enrolment: dict[str, Any]


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise UserError(f"Nie można odczytać pliku {path}: {e.strerror}.") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise UserError(
            f"Plik {path} nie jest zapisany w UTF-8 (wiersz {line}); zapisz go jako UTF-8. "
            "Nic nie zaimportowano."
        ) from None


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d])


def _bool(text: str) -> bool:
    t = text.strip().lower()
    if t in TRUE:
        return True
    if t in FALSE:
        return False
    raise ValueError(f"has_photo „{text}”: wpisz true/false (albo 1/0, tak/nie)")


def _parse_row(line: int, rec: dict[str, str]) -> tuple[_Row | None, list[str]]:
    problems: list[str] = []
    v = {k: (rec.get(k) or "").strip() for k in COLUMNS}

    def date(name: str) -> dt.date | None:
        try:
            return parse_optional_date(v[name])
        except ValueError as e:
            problems.append(f"{name}: {e}")
            return None

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
    if problems:
        return None, problems
    person = {
        "album": v["album"] or None,
        "first_name": v["first_name"],
        "last_name": v["last_name"],
        "pesel": v["pesel"].replace(" ", "") or None,
        "birth_date": birth,
        "has_photo": has_photo,
    }
    enrolment = {
        "programme_code": v["programme_code"],
        "programme_name": v["programme_name"] or v["programme_code"],
        "level": level,
        "status": status,
        "status_date": status_date,
        "planned_end_date": planned_end,
    }
    return _Row(line, v["person_id"], person, enrolment), []


def parse_file(path: Path) -> tuple[dict[str, list[_Row]], list[BadLine]]:
    """Rows grouped by person, and every bad line with why."""
    text = _read_text(path)
    if not text.strip():
        raise UserError(f"Plik {path} jest pusty; oczekiwano nagłówka: {','.join(COLUMNS)}.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.splitlines()[0]))
    header = [h.strip().lower() for h in next(reader)]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise UserError(
            f"Plik {path}: w nagłówku (wiersz 1) brak kolumn: {', '.join(missing)}. "
            f"Oczekiwany nagłówek: {','.join(COLUMNS)}."
        )
    bad: list[BadLine] = []
    people: dict[str, list[_Row]] = defaultdict(list)
    pid_at = header.index("person_id")
    start = reader.line_num + 1  # where the next record starts (a quoted field may span lines)
    try:
        for values in reader:
            line, start = start, reader.line_num + 1
            if not any(x.strip() for x in values):
                continue
            if len(values) != len(header):
                span = f" (wiersze {line}-{start - 1}: niezamknięty cudzysłów?)" if start - 1 > line else ""
                pid = values[pid_at].strip() if len(values) > pid_at else None
                bad.append(BadLine(line, f"{len(values)} pól zamiast {len(header)}{span}", pid or None))
                continue
            rec = dict(zip(header, values))
            row, problems = _parse_row(line, rec)
            if row is None:
                bad.append(BadLine(line, "; ".join(problems), rec["person_id"].strip() or None))
            else:
                people[row.person_id].append(row)
    except csv.Error as e:
        bad.append(BadLine(start, f"błąd formatu CSV: {e}"))
    for pid, rows in people.items():
        first = rows[0]
        seen_codes: dict[str, int] = {}
        for row in rows:
            diff = [f for f in PERSON_FIELDS if row.person[f] != first.person[f]]
            if diff:
                bad.append(BadLine(
                    row.line,
                    f"osoba {pid}: {', '.join(diff)} inne niż w wierszu {first.line}", pid,
                ))
            code = row.enrolment["programme_code"]
            if code in seen_codes:
                why = f"osoba {pid}: program {code} powtórzony (wiersz {seen_codes[code]})"
                bad.append(BadLine(row.line, why, pid))
            seen_codes.setdefault(code, row.line)
    albums: dict[str, str] = {}
    for pid, rows in people.items():
        album = rows[0].person["album"]
        if album and albums.setdefault(album, pid) != pid:
            bad.append(BadLine(rows[0].line, f"numer albumu {album} ma też osoba {albums[album]}", pid))
    bad.sort(key=lambda b: b.line)
    return people, bad


def import_csv(ctx: Context, path: str | Path, *, skip_invalid: bool = False) -> ImportReport:
    ctx.require(Permission.IMPORT)
    path = Path(path)
    people, bad = parse_file(path)
    with writing(ctx.engine) as s:
        bad += _album_conflicts(s, people)
        bad.sort(key=lambda b: b.line)
        if bad and not skip_invalid:
            raise ImportRejected(str(path), bad)
        report = ImportReport(bad=bad)
        skipped = _leave_out(people, bad)
        # A person left out keeps their album in the store, which someone else may take.
        while more := _album_conflicts(s, people):
            bad += more
            skipped |= _leave_out(people, more)
        bad.sort(key=lambda b: b.line)
        report.persons_skipped = len(skipped)
        _write(ctx, s, people, report)
    return report


def _leave_out(people: dict[str, list[_Row]], bad: list[BadLine]) -> set[str]:
    """Drop every person with a bad line, whole (good rows too): nobody is half-replaced."""
    lines = {b.line for b in bad}
    out = {b.person_id for b in bad if b.person_id}
    out |= {pid for pid, rows in people.items() if any(r.line in lines for r in rows)}
    for pid in out:
        people.pop(pid, None)
    return out


def _album_conflicts(s: Any, people: dict[str, list[_Row]]) -> list[BadLine]:
    """An album that the store gives another person who keeps it after this import."""
    wanted = {rows[0].person["album"]: pid for pid, rows in people.items() if rows[0].person["album"]}
    bad: list[BadLine] = []
    albums = list(wanted)
    for i in range(0, len(albums), CHUNK):
        for owner, album in s.execute(
            select(col(Person.external_id), col(Person.album)).where(col(Person.album).in_(albums[i:i + CHUNK]))
        ):
            pid = wanted[album]
            keeps = owner not in people or people[owner][0].person["album"] == album
            if owner != pid and keeps:
                bad.append(BadLine(people[pid][0].line, f"numer albumu {album} ma w bazie osoba {owner}", pid))
    return bad


def _write(ctx: Context, s: Any, people: dict[str, list[_Row]], report: ImportReport) -> None:
    now = utc(ctx.clock.now())
    ids = list(people)
    existing: dict[str, Person] = {}
    for i in range(0, len(ids), CHUNK):
        for p in s.scalars(select(Person).where(col(Person.external_id).in_(ids[i:i + CHUNK]))):
            existing[p.external_id] = p
    new_people, changed = [], []
    for pid, rows in people.items():
        data = dict(rows[0].person, name_key=name_key(rows[0].person["first_name"], rows[0].person["last_name"]))
        old = existing.get(pid)
        if old is None:
            new_people.append(dict(data, external_id=pid, updated_at=now))
        elif any(getattr(old, k) != v for k, v in data.items()):
            changed.append((old, data))
        else:
            report.persons_unchanged += 1
    conn = s.connection()
    pt, ot = Person.__table__, Order.__table__  # type: ignore[attr-defined]
    # Albums change hands safely: free the old ones first (the column is unique).
    freed = [{"pid": old.id} for old, data in changed if old.album != data["album"]]
    if freed:
        conn.execute(update(pt).where(pt.c.id == bindparam("pid")).values(album=None), freed)
    if changed:
        fields = (*PERSON_FIELDS, "name_key")
        conn.execute(
            update(pt).where(pt.c.id == bindparam("pid"))
            .values({**{k: bindparam(f"v_{k}") for k in fields}, "updated_at": now}),
            [dict({f"v_{k}": data[k] for k in fields}, pid=old.id) for old, data in changed],
        )
        # The order list keeps copies of album and name for sorting.
        conn.execute(
            update(ot).where(ot.c.person_id == bindparam("pid"))
            .values(album=bindparam("v_album"), name_key=bindparam("v_key")),
            [{"pid": old.id, "v_album": data["album"] or "", "v_key": data["name_key"]}
             for old, data in changed],
        )
    report.persons_updated = len(changed)
    report.persons_added = len(new_people)
    if new_people:
        conn.execute(insert(pt), new_people)
        for i in range(0, len(new_people), CHUNK):
            chunk = [p["external_id"] for p in new_people[i:i + CHUNK]]
            for p in s.scalars(select(Person).where(col(Person.external_id).in_(chunk))):
                existing[p.external_id] = p
    _write_enrolments(s, people, existing, report)


def _write_enrolments(s: Any, people: dict[str, list[_Row]], persons: dict[str, Person], report: ImportReport) -> None:
    pids = [persons[p].id for p in people]
    current: dict[int, dict[str, Enrolment]] = defaultdict(dict)
    for i in range(0, len(pids), CHUNK):
        for e in s.scalars(select(Enrolment).where(col(Enrolment.person_id).in_(pids[i:i + CHUNK]))):
            current[e.person_id][e.programme_code] = e
    adds: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    removes: list[int | None] = []
    for pid, rows in people.items():
        person_id = persons[pid].id or 0
        have = current.get(person_id, {})
        for row in rows:
            e = row.enrolment
            data = {"programme_name": e["programme_name"], "level": e["level"], "status": e["status"],
                    "status_date": e["status_date"], "planned_end_date": e["planned_end_date"]}
            old = have.pop(e["programme_code"], None)
            if old is None:
                adds.append(dict(data, person_id=person_id, programme_code=e["programme_code"]))
            elif any(getattr(old, k) != v for k, v in data.items()):
                updates.append(dict(data, eid=old.id))
            else:
                report.enrolments_unchanged += 1
        removes.extend(e.id for e in have.values())
    conn, et = s.connection(), Enrolment.__table__  # type: ignore[attr-defined]
    for i in range(0, len(removes), CHUNK):
        conn.execute(delete(et).where(et.c.id.in_(removes[i:i + CHUNK])))
    if updates:
        conn.execute(
            update(et).where(et.c.id == bindparam("eid"))
            .values({k: bindparam(f"v_{k}") for k in ENROLMENT_FIELDS}),
            [dict({f"v_{k}": u[k] for k in ENROLMENT_FIELDS}, eid=u["eid"]) for u in updates],
        )
    if adds:
        conn.execute(insert(et), adds)
    report.enrolments_added, report.enrolments_updated = len(adds), len(updates)
    report.enrolments_removed = len(removes)
