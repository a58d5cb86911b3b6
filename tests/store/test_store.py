"""The store on real SQLite files: schema versions, the append-only log, sharing by processes."""
from __future__ import annotations

import contextlib
import json
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from mleg_tui.domain.status import OrderStatus
from mleg_tui.services import actions
from mleg_tui.services.context import Context
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.orders import find_orders
from mleg_tui.store import SCHEMA_VERSION, StoreError, open_store, reading, schema, writing
from support.cli import cli_environment, popen_cli, run_main
from support.register import TODAY, TODAY_DATE, csv_text, enrolment, pesel_for
from support.stores import import_rows, mc_moves


def sql(path: Path, query: str, *params: object) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute(query, params).fetchall()
    finally:
        con.close()


def dump(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return list(con.iterdump())
    finally:
        con.close()


@pytest.fixture
def placed(ctx: Context, add_students) -> int:  # type: ignore[no-untyped-def]
    """The store has a student with one order; returns the order's id."""
    add_students(enrolment("P1", "100001"))
    return actions.place_order(ctx, "100001").order_id


# --- a new store ---------------------------------------------------------------------------

def test_new_store_records_its_schema_version(ctx: Context, store_path: Path):
    assert sql(store_path, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    tables = {r[0] for r in sql(store_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"meta", "person", "enrolment", "orders", "order_event"} <= tables


def test_sqlite_store_uses_wal_and_waits_for_a_busy_store(ctx: Context, store_path: Path):
    assert sql(store_path, "PRAGMA journal_mode") == [("wal",)]
    with ctx.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_indexes_for_the_offices_queries(ctx: Context, store_path: Path):
    indexed: set[str] = set()
    for (name,) in sql(store_path, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'orders'"):
        cols = [r[2] for r in sql(store_path, f"PRAGMA index_info('{name}')")]
        indexed.add(cols[0])
    # by album number, by name, by order date, by status
    assert {"album", "name_key", "ordered_at", "status"} <= indexed
    person_indexes = [
        [r[2] for r in sql(store_path, f"PRAGMA index_info('{n}')")]
        for (n,) in sql(store_path, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'person'")
    ]
    assert ["album"] in person_indexes and ["name_key"] in person_indexes


def test_reopening_a_store_keeps_its_data(placed: int, store_path: Path, make_ctx):  # type: ignore[no-untyped-def]
    engine = open_store(f"sqlite:///{store_path}")
    with reading(engine) as s:
        assert s.execute(text("SELECT count(*) FROM orders")).scalar() == 1


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(tmp_path: Path):
    notes = tmp_path / "notes.txt"
    notes.write_text("person_id,album\n", encoding="utf-8")
    with pytest.raises(StoreError, match="Nie można otworzyć bazy danych: file is not a database"):
        open_store(f"sqlite:///{notes}")
    assert notes.read_text(encoding="utf-8") == "person_id,album\n"


def test_a_store_whose_folder_cannot_be_made_is_refused_clearly(tmp_path: Path):
    a_file = tmp_path / "file"
    a_file.write_text("", encoding="utf-8")
    # Only the default location's folder is ever made (make_folder): here it cannot be.
    with pytest.raises(StoreError, match="Nie można utworzyć katalogu bazy danych"):
        open_store(f"sqlite:///{a_file / 'sub' / 'store.db'}", make_folder=True)


def test_a_database_that_is_not_a_store_is_refused(tmp_path: Path):
    other = tmp_path / "other.db"
    sql(other, "CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    before = dump(other)
    with pytest.raises(StoreError, match="nie jest magazynem mleg-tui"):
        open_store(f"sqlite:///{other}")
    assert dump(other) == before


# --- schema versions -----------------------------------------------------------------------

def make_version_1(path: Path, first_release: bool) -> None:
    """Turn a store back into what version 1 wrote: no name-search index (v2's step); the
    first release (055adfb) also lacked two order columns that joined v1 later."""
    con = sqlite3.connect(path)
    with con:
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                   "AND name LIKE 'person_fts%'").fetchall():
            con.execute(f"DROP TRIGGER {name}")
        con.execute("DROP TABLE person_fts")
        if first_release:
            con.execute("ALTER TABLE orders DROP COLUMN pending_actor_kind")
            con.execute("ALTER TABLE orders DROP COLUMN submitted_body")
        # v4 added the folded name to the order-date index.
        con.execute("DROP INDEX ix_orders_ordered")
        con.execute("CREATE INDEX ix_orders_ordered ON orders (ordered_at, id)")
        # v8 added the run reports and the audit's indexes over the event log.
        for ix in ("ix_event_when", "ix_event_actor_when", "ix_event_action_when"):
            con.execute(f"DROP INDEX {ix}")
        con.execute("DROP TABLE job_run_item")
        con.execute("DROP TABLE job_run")
        con.execute("ALTER TABLE order_event DROP COLUMN recorded_at")  # v5's
        # v6 added the lookup's indexes (PESEL, QR text).
        con.execute("DROP INDEX ix_person_pesel")
        con.execute("DROP INDEX ix_orders_qr")
        con.execute("DROP INDEX ix_orders_error_at")  # v9's
        # v7 added the access trace, append-only.
        con.execute("DROP TRIGGER access_event_no_update")
        con.execute("DROP TRIGGER access_event_no_delete")
        con.execute("DROP TABLE access_event")
        con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        # A person written by the old program: the new index must learn of her too.
        con.execute("UPDATE person SET first_name = 'Łucja', last_name = 'Żak', name_key = 'zak lucja'")
    con.close()


@pytest.mark.parametrize("first_release", [False, True], ids=["v1", "v1-first-release"])
def test_newer_program_upgrades_an_older_store(placed: int, store_path: Path, make_ctx, first_release: bool):  # type: ignore[no-untyped-def]
    assert SCHEMA_VERSION >= 2
    make_version_1(store_path, first_release)
    ctx = make_ctx()  # opening upgrades
    assert sql(store_path, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    assert [c for (_, _, c) in sql(store_path, "PRAGMA index_info(ix_orders_ordered)")] == [
        "ordered_at", "id", "name_key"]
    assert [c for (_, _, c) in sql(store_path, "PRAGMA index_info(ix_person_pesel)")] == ["pesel"]
    assert [c for (_, _, c) in sql(store_path, "PRAGMA index_info(ix_orders_qr)")] == ["qr_code"]
    assert [c for (_, _, c) in sql(store_path, "PRAGMA index_info(ix_orders_error_at)")] == [
        "error_code", "ordered_at", "id"]
    assert sql(store_path, "SELECT count(*) FROM access_event") == [(0,)]
    assert sorted(n for (n,) in sql(store_path, "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                                "AND tbl_name = 'access_event'")) == [
        "access_event_no_delete", "access_event_no_update"]
    assert [c for (_, _, c) in sql(store_path, "PRAGMA index_info(ix_event_actor_when)")] == ["actor", None, "id"]
    assert sql(store_path, "SELECT count(*) FROM job_run") == [(0,)]
    assert [r.id for r in find_orders(ctx, OrderQuery(text="łucja"))] == [placed]
    assert sql(store_path, "SELECT count(*), min(action) FROM order_event") == [(1, "PLACED")]
    # The old order goes on living: MC takes it, the student cancels (pending at MC).
    mc_moves(ctx, placed, OrderStatus.W_TRAKCIE)
    assert actions.cancel_order(ctx, "100001").pending
    # New names keep reaching the index after the upgrade.
    import_rows(ctx, store_path.parent, enrolment("P2", "100002", "Ignacy", "Ćwik"))
    actions.place_order(ctx, "100002")
    assert [r.person for r in find_orders(ctx, OrderQuery(text="cwik"))] == ["Ignacy Ćwik"]


def test_upgrade_runs_each_later_step_once(placed: int, store_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    # A future version N+1 with one step: a version-N store gets it, once.
    def add_note(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("ALTER TABLE person ADD COLUMN note TEXT DEFAULT 'migrated'")

    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(schema.MIGRATIONS, SCHEMA_VERSION + 1, add_note)
    open_store(f"sqlite:///{store_path}")
    open_store(f"sqlite:///{store_path}")  # a second open does not run the step again
    assert sql(store_path, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION + 1),)]
    assert sql(store_path, "SELECT album, note FROM person") == [("100001", "migrated")]


def test_a_failing_upgrade_step_leaves_the_older_store_as_it_was(placed: int, store_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    def half_done(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("ALTER TABLE person ADD COLUMN note TEXT")
        conn.exec_driver_sql("SELECT no_such_function()")

    before = dump(store_path)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(schema.MIGRATIONS, SCHEMA_VERSION + 1, half_done)
    with pytest.raises(StoreError):
        open_store(f"sqlite:///{store_path}")
    assert dump(store_path) == before


def test_older_program_refuses_a_newer_store_and_changes_nothing(placed: int, store_path: Path):
    sql_con = sqlite3.connect(store_path)
    with sql_con:
        sql_con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    sql_con.close()
    before = dump(store_path)
    with pytest.raises(StoreError) as info:
        open_store(f"sqlite:///{store_path}")
    message = str(info.value)
    assert f"wersji {SCHEMA_VERSION + 1}" in message and f"wersję {SCHEMA_VERSION}" in message
    assert "Zaktualizuj mleg-tui" in message and "nie została zmieniona" in message
    assert dump(store_path) == before


def test_cli_on_a_newer_store_exits_with_one_line(placed: int, store_path: Path, cli):  # type: ignore[no-untyped-def]
    sql_con = sqlite3.connect(store_path)
    with sql_con:
        sql_con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    sql_con.close()
    before = dump(store_path)
    r = cli("order", "place", "100001")
    assert r.returncode != 0, r
    assert len(r.err_lines) == 1 and "wersji 99" in r.stderr, r
    assert "Traceback" not in r.stderr
    assert dump(store_path) == before


# --- the event log -------------------------------------------------------------------------

def test_event_log_is_append_only_in_the_database_itself(placed: int, store_path: Path):
    assert sql(store_path, "SELECT action FROM order_event") == [("PLACED",)]
    con = sqlite3.connect(store_path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("UPDATE order_event SET reason = 'rewritten'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute("DELETE FROM order_event")
        con.rollback()
    finally:
        con.close()
    assert sql(store_path, "SELECT action, reason FROM order_event") == [("PLACED", None)]


def test_event_log_refuses_changes_through_the_store_too(placed: int, ctx: Context, store_path: Path):
    with pytest.raises(StoreError, match="odrzuciła zmianę") as info:
        with writing(ctx.engine) as s:
            s.execute(text("DELETE FROM order_event"))
    assert isinstance(info.value.__context__, IntegrityError)
    assert "append-only" in str(info.value.__context__.orig)
    assert sql(store_path, "SELECT count(*) FROM order_event") == [(1,)]
    # Appending goes on.
    actions.cancel_order(ctx, "100001")
    assert [r[0] for r in sql(store_path, "SELECT action FROM order_event ORDER BY id")] == ["PLACED", "CANCELLED"]


# --- one store, several processes ------------------------------------------------------------

WORKER = r"""
import json, sys, time
from pathlib import Path
from mleg_tui.config import Settings
from mleg_tui.errors import NotFound
from mleg_tui.services import actions
from mleg_tui.services.context import open_context

db, meet, count, who = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ctx = open_context(Settings(db=db, today=sys.argv[5], login=who), role="admin")


def barrier(phase):
    # Both processes start each phase together, so their writes really interleave.
    (meet / f"{phase}.{who}").touch()
    while len(list(meet.glob(f"{phase}.*"))) < 2:
        time.sleep(0.002)


barrier("place")
albums = [str(200000 + i) for i in range(count)]
placed = refused = revoked = late = 0
for album in albums:
    try:
        actions.place_order(ctx, album)
        placed += 1
    except actions.NotEligible:
        refused += 1
barrier("revoke")
for album in albums:
    try:
        for r in actions.revoke_student(ctx, album, f"skreślenie ({who})"):
            if r.old_status is not r.status:
                revoked += 1
            else:
                late += 1  # the other process revoked it between our read and our write
    except NotFound:
        late += 1  # the other process revoked it first
print(json.dumps({"placed": placed, "refused": refused, "revoked": revoked, "late": late}))
"""


def test_two_processes_placing_and_revoking_at_once_lose_nothing(
    ctx: Context, add_students, store_path: Path, tmp_path: Path  # type: ignore[no-untyped-def]
):
    n = 40
    add_students(*(enrolment(f"P{i}", str(200000 + i), "Anna", f"Nowak{i}") for i in range(n)))
    meet = tmp_path / "barrier"
    meet.mkdir()
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, str(store_path), str(meet), str(n), who, TODAY],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for who in ("ewa", "jan")
    ]
    results = []
    for w in workers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err  # no "database is locked", no crash
        results.append(json.loads(out))
    assert sum(r["placed"] for r in results) == n  # exactly one order per student
    assert sum(r["refused"] for r in results) == n
    assert sum(r["revoked"] for r in results) == n
    assert sql(store_path, "SELECT count(*), min(version), max(version) FROM orders") == [(n, 2, 2)]
    assert sql(store_path, "SELECT DISTINCT status FROM orders") == [("UNIEWAZNIONE_PRZEZ_UCZELNIE",)]
    per_order = sql(store_path, "SELECT order_id, group_concat(action, ',') FROM "
                                "(SELECT * FROM order_event ORDER BY id) GROUP BY order_id")
    assert len(per_order) == n
    assert {actions_ for _, actions_ in per_order} == {"PLACED,REVOKED"}
    assert sql(store_path, "SELECT count(*) FROM orders GROUP BY person_id HAVING count(*) > 1") == []


OPENER = r"""
import sys, time
from pathlib import Path
from mleg_tui.store import open_store

meet, who = Path(sys.argv[2]), sys.argv[3]
(meet / who).touch()
while len(list(meet.iterdir())) < 3:
    time.sleep(0.002)
open_store("sqlite:///" + sys.argv[1])
"""


def test_three_processes_opening_a_new_store_at_once_create_it_once(tmp_path: Path):
    # The first morning: a staff session, a cron job and a script start on a new file.
    db, meet = tmp_path / "new.db", tmp_path / "meet"
    meet.mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", OPENER, str(db), str(meet), str(i)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(3)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert sql(db, "SELECT key, value FROM meta") == [("schema_version", str(SCHEMA_VERSION))]
    assert sql(db, "PRAGMA integrity_check") == [("ok",)]


def test_two_concurrent_order_place_commands_for_one_student_yield_one_order(
    add_students, store_path: Path, cli_env: dict[str, str], tmp_path: Path  # type: ignore[no-untyped-def]
):
    albums = ["300001", "300002"]
    add_students(*(enrolment(f"P{a}", a, "Jan", f"Kowalski{a}") for a in albums))
    procs = [(a, popen_cli(["order", "place", a], cli_env, tmp_path)) for a in albums for _ in range(2)]
    outcome: dict[str, list[int]] = {a: [] for a in albums}
    for album, p in procs:
        out, err = p.communicate(timeout=120)
        outcome[album].append(p.returncode)
        assert "Traceback" not in err and "locked" not in err, err
        if p.returncode == 0:
            assert "Zamówiono mLegitymację" in out
        else:
            assert "masz zamówienie w realizacji" in err and len(err.strip().splitlines()) == 1, err
    for album in albums:
        assert sorted(outcome[album]) == [0, 2], outcome
    assert sql(store_path, "SELECT album, count(*) FROM orders GROUP BY album ORDER BY album") == [
        (a, 1) for a in albums
    ]


def test_bulk_demo_load_leaves_every_row_with_its_parent_and_checks_back_on(ctx: Context, store_path: Path):
    """demo-data skips SQLite's per-row parent lookups for speed: the rows must still all
    have their parents, and the store's connections must check again afterwards."""
    from mleg_tui.demo.data import build_demo

    build_demo(ctx, students=300, seed=4)
    assert sql(store_path, "PRAGMA foreign_key_check") == []
    with writing(ctx.engine) as s:
        assert s.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        with pytest.raises(IntegrityError):
            s.execute(text("INSERT INTO enrolment (person_id, programme_code, programme_name, level, status) "
                           "VALUES (999999, 'X', 'X', 'I', 'ACTIVE')"))


# --- readers never wait for a writer ---------------------------------------------------------

def test_a_reader_opens_and_answers_while_an_import_holds_the_write_lock(
    placed: int, ctx: Context, store_path: Path, cli  # type: ignore[no-untyped-def]
):
    # What an import holds from its first write to its commit: the write lock (BEGIN
    # IMMEDIATE), a change not yet committed. Opening an up-to-date store only reads.
    with writing(ctx.engine) as s:
        s.execute(text("UPDATE person SET first_name = 'Zmieniona'"))
        started = time.monotonic()
        student = cli("student", "100001", timeout=12)
        orders = cli("orders", timeout=12)
        took = time.monotonic() - started
    assert student.returncode == 0 and "100001" in student.stdout, student
    assert "Karolina" in student.stdout  # the import's change is not seen before its commit
    assert orders.returncode == 0 and "100001" in orders.stdout, orders
    assert took < 10  # the busy timeout is 15 s: it never came to waiting


# --- a database error is one line; its parameters (names, PESELs) reach no one -----------------

@contextlib.contextmanager
def disk_full(pages: int | Callable[[], int]) -> Iterator[None]:
    """SQLite's own "database or disk is full" for every store opened meanwhile, once its
    file would grow past `pages` pages (PRAGMA max_page_count: SQLite's out-of-space path)."""
    from sqlalchemy import Engine, event

    def on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        limit = pages() if callable(pages) else pages
        dbapi_conn.execute(f"PRAGMA max_page_count = {limit}")

    event.listen(Engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", on_connect)


def register_file(path: Path, n: int) -> list[dict[str, str]]:
    born = TODAY_DATE.replace(year=2001)
    rows = [enrolment(f"F{i}", str(500000 + i), "Genowefa", f"Pigwa{i}", pesel=pesel_for(born, i))
            for i in range(n)]
    path.write_text(csv_text(rows), encoding="utf-8")
    return rows


def test_a_full_disk_during_import_is_one_line_without_personal_data(
    placed: int, store_path: Path, cli_env: dict[str, str], tmp_path: Path
):
    rows = register_file(tmp_path / "register.csv", 3000)
    before = dump(store_path)
    with disk_full(sql(store_path, "PRAGMA page_count")[0][0] + 5):
        r = run_main(["import", str(tmp_path / "register.csv")], cli_env)
    assert r.returncode == 2 and len(r.err_lines) == 1, r
    assert "Brak miejsca na dysku bazy danych: zwolnij miejsce i spróbuj ponownie." in r.stderr
    log = (tmp_path / "mleg-tui.log").read_text(encoding="utf-8")
    assert "SQLITE_FULL" in log and "INSERT INTO" in log  # what failed, for whoever looks
    for text_ in (r.stderr, log):
        for secret in ("Genowefa", "Pigwa", rows[0]["pesel"], rows[-1]["pesel"], "500000", "parameters"):
            assert secret not in text_, (secret, text_)
    assert "Traceback" not in r.stderr
    assert dump(store_path) == before


def test_a_failed_import_leaves_no_new_store_behind(tmp_path: Path, isolated_env: Path):
    db = tmp_path / "new" / "store.db"
    db.parent.mkdir()
    env = cli_environment(db, isolated_env)
    good = tmp_path / "good.csv"
    register_file(good, 2000)
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_text([enrolment("P1", "100001", level="III")]), encoding="utf-8")
    broken = tmp_path / "broken.csv"
    broken.write_text(csv_text([]) + 'P1,100001,Anna,"Nowak,,2003-05-17,true,INF-S1,Informatyka,I,ACTIVE,,\n',
                      encoding="utf-8")  # an unclosed quote
    for args in (("import", str(bad)), ("import", str(broken)), ("import", str(tmp_path / "none.csv")),
                 ("import", "/dev/zero")):
        r = run_main(args, env)
        assert r.returncode == 2 and len(r.err_lines) >= 1 and "Traceback" not in r.stderr, r
        assert list(db.parent.iterdir()) == [], (args, r)
    # The store is made, then the disk fills while the rows go in: it goes again.
    empty = tmp_path / "empty.db"
    open_store(f"sqlite:///{empty}").dispose()
    with disk_full(sql(empty, "PRAGMA page_count")[0][0] + 3):
        r = run_main(["import", str(good)], env)
    assert r.returncode == 2 and "Brak miejsca na dysku" in r.stderr, r
    assert list(db.parent.iterdir()) == []
    r = run_main(["import", str(good)], env)
    assert r.returncode == 0 and "dodano 2000" in r.stdout, r


def test_only_the_default_location_is_made_and_only_by_a_command_that_writes(
    tmp_path: Path, isolated_env: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    env = cli_environment("", isolated_env)
    default = tmp_path / "data" / "mleg-tui"
    r = run_main(["orders"], env, extra_env={"MLEG_TUI_DB": None})
    assert r.returncode == 2 and "Nie ma jeszcze magazynu mleg-tui w pliku" in r.stderr, r
    assert not (tmp_path / "data").exists()
    r = run_main(["demo-data", "--students", "3"], env, extra_env={"MLEG_TUI_DB": None})
    assert r.returncode == 0, r
    assert (default / "mleg.db").is_file()
    assert stat.S_IMODE(default.stat().st_mode) == 0o700
    # Any other folder must exist: a typo in --db makes no folders.
    typo = tmp_path / "stroe" / "mleg.db"
    r = run_main(["demo-data", "--students", "3"], env, extra_env={"MLEG_TUI_DB": str(typo)})
    assert r.returncode == 2 and f"Nie ma katalogu {typo.parent}" in r.stderr, r
    assert not typo.parent.exists()
