"""The store on a real PostgreSQL server (the suite's own, see tests/support/pgserver.py): what
test_store.py checks in the SQLite file, checked in PostgreSQL's own catalogue, and the
story of one central database shared by several office sessions, cron jobs and scripts
at once: no lost update, no order sent twice, readers never waiting on writers.

Concurrency here is real: separate processes (or threads with their own connections)
meeting at a barrier, and where a test needs one transaction held open at a chosen
moment, the real service is paused inside it (`Paused`), never replaced.
"""
from __future__ import annotations

import json
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError

from mleg_tui.config import Settings
from mleg_tui.domain.status import OrderStatus as S
from mleg_tui.services import actions
from mleg_tui.services.context import Context, open_context
from mleg_tui.services.importer import import_csv
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.mc_sync import refresh
from mleg_tui.services.orders import count_orders, find_orders
from mleg_tui.services.students import student_view
from mleg_tui.services.sweep import run_sweep
from mleg_tui.services.types import RefreshSelection
from mleg_tui.store import SCHEMA_VERSION, StoreError, open_store, schema
from support.cli import cli_environment, popen_cli
from support.register import TODAY, enrolment
from support.stores import BACKENDS, import_rows, mc_moves, pg_database, store_dump, store_sql
from support.sync import (
    TEMPLATE_STUDENTS,
    album,
    assert_consistent,
    assert_once_at_mc,
    events,
    order_of,
    orders,
    register_csv,
    statuses,
    student_row,
    wait_for,
)

pytestmark = pytest.mark.skipif(
    "postgresql" not in BACKENDS,
    reason="MLEG_TEST_BACKENDS leaves PostgreSQL out: these tests are about PostgreSQL itself",
)
ON_PG = pytest.mark.parametrize("world", ["postgresql"], indirect=True)


@pytest.fixture(params=["postgresql"])
def pg_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty database on the session's server (the id names the backend, as
    every other test's does)."""
    with pg_database(request) as url:
        yield url


def make_ctx(url: str, today: str = TODAY, **settings: Any) -> Context:
    settings.setdefault("login", "tester")
    return open_context(Settings(db=url, today=today, **settings), role="admin")  # type: ignore[arg-type]


@pytest.fixture
def placed(pg_url: str, tmp_path: Path) -> tuple[Context, int]:
    """A student with one order (OCZEKUJE); the context and the order's id."""
    ctx = make_ctx(pg_url)
    import_rows(ctx, tmp_path, enrolment("P1", "100001"))
    return ctx, actions.place_order(ctx, "100001").order_id


def q(url: str, query: str, *params: object) -> list[tuple[Any, ...]]:
    return store_sql(url, query, *params)


# --- a new database, older and newer schemas ------------------------------------------------

def test_a_new_database_gets_the_schema_and_its_version(pg_url: str):
    open_store(pg_url)
    assert q(pg_url, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    tables = {r[0] for r in q(pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert {"meta", "person", "enrolment", "orders", "order_event"} <= tables
    assert q(pg_url, "SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'") == [("pg_trgm",)]
    triggers = q(pg_url, "SELECT tgname FROM pg_trigger WHERE tgrelid = 'order_event'::regclass "
                         "AND NOT tgisinternal ORDER BY tgname")
    assert triggers == [("order_event_append_only",), ("order_event_no_truncate",)]
    open_store(pg_url)  # opening again changes nothing
    assert q(pg_url, "SELECT count(*) FROM meta") == [(1,)]


def test_indexes_for_the_offices_queries(pg_url: str):
    open_store(pg_url)
    defs = {name: d for name, d in q(pg_url, "SELECT indexname, indexdef FROM pg_indexes "
                                             "WHERE schemaname = 'public'")}
    firsts = {re.search(r"\((\w+)", d).group(1) for d in defs.values() if " ON public.orders " in d}  # type: ignore[union-attr]
    assert {"album", "name_key", "ordered_at", "status"} <= firsts
    assert "gin (name_key gin_trgm_ops)" in defs["ix_person_name_trgm"]
    assert "UNIQUE" in defs["ux_person_album"] and "UNIQUE" in defs["ux_orders_ref"]
    assert "(pesel)" in defs["ix_person_pesel"]  # the lookup by PESEL
    assert "(qr_code) WHERE (qr_code IS NOT NULL)" in defs["ix_orders_qr"]  # ... by QR text


def test_three_processes_opening_a_new_database_at_once_create_it_once(pg_url: str, tmp_path: Path):
    """The first morning: a staff session, a cron job and a script start on an empty
    database. Each waits for whoever creates the schema and then uses it."""
    opener = ("import sys, time\nfrom pathlib import Path\nfrom mleg_tui.store import open_store\n"
              "meet = Path(sys.argv[2]); (meet / sys.argv[3]).touch()\n"
              "while len(list(meet.iterdir())) < 4: time.sleep(0.002)\n"
              "open_store(sys.argv[1])\n")
    meet = tmp_path / "meet"
    meet.mkdir()
    for round_ in range(2):  # a second round on a database already there: nothing to do
        for old in meet.iterdir():
            old.unlink()
        procs = [subprocess.Popen([sys.executable, "-c", opener, pg_url, str(meet), str(i)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, (round_, err)
    assert q(pg_url, "SELECT key, value FROM meta") == [("schema_version", str(SCHEMA_VERSION))]


def test_a_database_that_is_not_a_store_is_refused_and_left_alone(pg_url: str):
    q(pg_url, "CREATE TABLE invoices (id serial PRIMARY KEY, total numeric)")
    q(pg_url, "INSERT INTO invoices (total) VALUES (12.50)")
    before = store_sql(pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    with pytest.raises(StoreError, match="nie jest magazynem mleg-tui"):
        open_store(pg_url)
    assert store_sql(pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == before
    assert q(pg_url, "SELECT count(*) FROM invoices") == [(1,)]


def make_version_1(url: str, first_release: bool) -> None:
    """What version 1 wrote on PostgreSQL: no trigram index (v2's step); the first release
    also lacked two order columns that joined v1 later."""
    q(url, "DROP INDEX ix_person_name_trgm")
    q(url, "DROP INDEX ix_person_pesel")  # v6's
    q(url, "DROP INDEX ix_orders_qr")
    if first_release:
        q(url, "ALTER TABLE orders DROP COLUMN pending_actor_kind")
        q(url, "ALTER TABLE orders DROP COLUMN submitted_body")
    for ix in ("ix_event_when", "ix_event_actor_when", "ix_event_action_when"):  # v8's
        q(url, f"DROP INDEX {ix}")
    q(url, "DROP TABLE job_run_item")
    q(url, "DROP TABLE job_run")
    q(url, "ALTER TABLE order_event DROP COLUMN recorded_at")  # v5's
    q(url, "UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    # A person written by the old program: the new index must learn of her too.
    q(url, "UPDATE person SET first_name = 'Łucja', last_name = 'Żak', name_key = 'zak lucja'")


@pytest.mark.parametrize("first_release", [False, True], ids=["v1", "v1-first-release"])
def test_an_older_schema_is_upgraded_on_open(placed: tuple[Context, int], pg_url: str, tmp_path: Path,
                                             first_release: bool):
    ctx, order_id = placed
    ctx.engine.dispose()
    make_version_1(pg_url, first_release)
    ctx = make_ctx(pg_url)  # opening upgrades
    assert q(pg_url, "SELECT value FROM meta WHERE key = 'schema_version'") == [(str(SCHEMA_VERSION),)]
    assert q(pg_url, "SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_person_name_trgm'") == [(1,)]
    assert q(pg_url, "SELECT count(*) FROM pg_indexes WHERE indexname IN ('ix_person_pesel', 'ix_orders_qr')") == [(2,)]
    assert q(pg_url, "SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'ix_event_%_when'") == [(2,)]
    assert q(pg_url, "SELECT count(*) FROM job_run") == [(0,)]
    columns = {r[0] for r in q(pg_url, "SELECT column_name FROM information_schema.columns "
                                       "WHERE table_name = 'orders'")}
    assert {"pending_actor_kind", "submitted_body"} <= columns
    assert [r.id for r in find_orders(ctx, OrderQuery(text="łucja"))] == [order_id]
    mc_moves(ctx, order_id, S.W_TRAKCIE)  # the old order goes on living
    assert actions.cancel_order(ctx, "100001").pending
    import_rows(ctx, tmp_path, enrolment("P2", "100002", "Ignacy", "Ćwik"))
    actions.place_order(ctx, "100002")
    assert [r.person for r in find_orders(ctx, OrderQuery(text="cwik"))] == ["Ignacy Ćwik"]


def test_a_failing_upgrade_step_leaves_the_older_database_as_it_was(placed: tuple[Context, int], pg_url: str,
                                                                     monkeypatch: pytest.MonkeyPatch):
    def half_done(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("ALTER TABLE person ADD COLUMN note TEXT")
        conn.exec_driver_sql("SELECT no_such_function()")

    placed[0].engine.dispose()
    before = store_dump(pg_url)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    monkeypatch.setitem(schema.MIGRATIONS, SCHEMA_VERSION + 1, half_done)
    with pytest.raises(StoreError):
        open_store(pg_url)
    assert store_dump(pg_url) == before  # PostgreSQL's DDL is transactional: no column left


def test_a_newer_schema_is_refused_with_a_clear_message_and_nothing_changed(
    placed: tuple[Context, int], pg_url: str, tmp_path: Path
):
    placed[0].engine.dispose()
    q(pg_url, "UPDATE meta SET value = ? WHERE key = 'schema_version'", str(SCHEMA_VERSION + 1))
    before = store_dump(pg_url)
    with pytest.raises(StoreError) as info:
        open_store(pg_url)
    message = str(info.value)
    assert f"wersji {SCHEMA_VERSION + 1}" in message and f"wersję {SCHEMA_VERSION}" in message
    assert "Zaktualizuj mleg-tui" in message and "nie została zmieniona" in message
    env = cli_environment(pg_url, tmp_path / "config.toml")
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    proc = popen_cli(["order", "place", "100001"], env, tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and err.strip().count("\n") == 0 and "Traceback" not in err, err
    assert f"wersji {SCHEMA_VERSION + 1}" in err
    assert store_dump(pg_url) == before


# --- the event log and the name index ---------------------------------------------------------

def test_the_event_log_is_append_only_in_the_database_itself(placed: tuple[Context, int], pg_url: str):
    import psycopg

    ctx, _ = placed
    dsn = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as con:  # anyone with a connection, not only this program
        for statement in ("UPDATE order_event SET reason = 'rewritten'", "DELETE FROM order_event",
                          "TRUNCATE order_event CASCADE"):
            with pytest.raises(psycopg.Error, match="append-only"):
                con.execute(statement)
            con.rollback()
    with pytest.raises(StoreError, match="odrzuciła zmianę") as info:
        from mleg_tui.store import writing

        with writing(ctx.engine) as s:
            s.execute(text("DELETE FROM order_event"))
    assert isinstance(info.value.__context__, DBAPIError)
    assert "append-only" in str(info.value.__context__.orig)
    assert q(pg_url, "SELECT action, reason FROM order_event") == [("PLACED", None)]
    actions.cancel_order(ctx, "100001")  # appending goes on
    assert [r[0] for r in q(pg_url, "SELECT action FROM order_event ORDER BY id")] == ["PLACED", "CANCELLED"]


def _index_search(url: str, word: str) -> tuple[list[str], str]:
    """Names whose folded form contains `word`, as PostgreSQL finds them through the trigram
    index (sequential scans off: the plan must use it), and that plan."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as con:
        con.execute("SET enable_seqscan = off")
        sql = "SELECT last_name FROM person WHERE name_key LIKE %s ORDER BY last_name"
        plan = "\n".join(r[0] for r in con.execute("EXPLAIN " + sql, (f"%{word}%",)).fetchall())
        return [r[0] for r in con.execute(sql, (f"%{word}%",)).fetchall()], plan


def test_the_name_index_is_kept_in_step_with_imports(pg_url: str, tmp_path: Path):
    ctx = make_ctx(pg_url)
    import_rows(ctx, tmp_path, enrolment("P1", "100001", "Łukasz", "Żółkiewski"),
                enrolment("P2", "100002", "Anna", "Łącka"))
    for p in ("100001", "100002"):
        actions.place_order(ctx, p)
    found, plan = _index_search(pg_url, "zolk")
    assert found == ["Żółkiewski"] and "ix_person_name_trgm" in plan, plan
    # The register renames a student (a marriage): the index follows at once.
    import_rows(ctx, tmp_path, enrolment("P2", "100002", "Anna", "Wiśniewska-Łącka"))
    import_rows(ctx, tmp_path, enrolment("P1", "100001", "Łukasz", "Kowalczyk"))
    assert _index_search(pg_url, "zolk")[0] == []
    assert _index_search(pg_url, "kowalcz")[0] == ["Kowalczyk"]
    assert _index_search(pg_url, "wisniew")[0] == ["Wiśniewska-Łącka"]
    assert [r.person for r in find_orders(ctx, OrderQuery(text="wiśniewska"))] == ["Anna Wiśniewska-Łącka"]
    assert find_orders(ctx, OrderQuery(text="żółkiewski")) == []


def test_the_name_index_is_complete_after_a_bulk_load(pg_url: str):
    # A bulk load drops the index while it writes; it is there again afterwards, complete.
    # (demo-data writes only an empty or demo store: this one starts empty.)
    from mleg_tui.demo.data import build_demo

    ctx = make_ctx(pg_url)
    build_demo(ctx, students=300, seed=3, replace=True)
    (count,) = q(pg_url, "SELECT count(*) FROM person WHERE name_key LIKE '%ski%'")[0]
    found, plan = _index_search(pg_url, "ski")
    assert count > 0 and len(found) == count and "ix_person_name_trgm" in plan


# --- several processes on one database -------------------------------------------------------

OPERATOR = r"""
import json, random, sys, time
from pathlib import Path
from mleg_tui.config import Settings
from mleg_tui.errors import MlegError
from mleg_tui.services import actions
from mleg_tui.services.context import open_context
from mleg_tui.services.status_change import StaleOrder
from mleg_tui.services.students import student_view

db, meet, who, today = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
albums = json.loads(sys.argv[5])
ctx = open_context(Settings(db=db, today=today, login=who), role="admin")


def together(tag):
    # Both processes act on each order at the same moment, give or take a few ms drawn
    # at random: either may come first, and often both are in the middle of it at once.
    (meet / f"{tag}.{who}").touch()
    while not (meet / f"{tag}.{'jan' if who == 'ewa' else 'ewa'}").exists():
        time.sleep(0.0002)
    time.sleep(random.random() * 0.006)


out = {}
for album in albums:
    try:
        if who == "ewa":  # a TUI session: what the screen shows, then "x" on it
            o = student_view(ctx, album=album).orders[0]
            together(album)
            (r,) = actions.revoke_orders(ctx, [o.id], f"skreślenie ({who})", versions={o.id: o.version})
        else:  # the student's portal cancels
            together(album)
            r = actions.cancel_order(ctx, album, reason=f"na prośbę ({who})")
        changed = r.status is not r.old_status or (r.pending and r.message.startswith("Zlecono"))
        out[album] = "won" if changed else "noop: " + r.message
    except StaleOrder as e:
        out[album] = "stale: " + str(e)
    except MlegError as e:
        out[album] = "refused: " + str(e)
print(json.dumps(out))
"""


def test_two_operators_ending_the_same_orders_at_once_lose_no_update(pg_url: str, tmp_path: Path):
    """An operator revokes from the TUI (checking the version the screen showed) while the
    students cancel the same orders from the portal, order by order at the same moment:
    each order ends exactly once, the other side is told clearly (changed meanwhile,
    nothing to cancel, already waiting), and every status is the end of its events."""
    n = 60
    ctx = make_ctx(pg_url)
    import_rows(ctx, tmp_path, *(enrolment(f"P{i}", str(300000 + i), "Anna", f"Nowak{i}") for i in range(n)))
    albums = [str(300000 + i) for i in range(n)]
    for i, a in enumerate(albums):
        oid = actions.place_order(ctx, a).order_id
        if i % 2:
            mc_moves(ctx, oid, S.W_TRAKCIE)  # at MC: both ends are requests waiting for MC
    ctx.engine.dispose()
    meet = tmp_path / "meet"
    meet.mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", OPERATOR, pg_url, str(meet), who, TODAY, json.dumps(albums)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for who in ("ewa", "jan")]
    results = {}
    for who, p in zip(("ewa", "jan"), procs):
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results[who] = json.loads(out)
    clear = re.compile(r"zmieniło się w międzyczasie|nie ma zamówienia ani mLegitymacji do anulowania|"
                       r"czeka już na|Niedozwolona zmiana statusu")
    for a in albums:
        outcome = {who: results[who][a] for who in results}
        assert sorted(v == "won" for v in outcome.values()) == [False, True], (a, outcome)
        loser = next(v for v in outcome.values() if v != "won")
        assert clear.search(loser), (a, loser)
    won_by = {a: next(w for w in results if results[w][a] == "won") for a in albums}
    outcomes = Counter(f"{w} {v.split(':')[0]}" for w in results for v in results[w].values())
    print(outcomes)
    # Both really collided: each side won some orders and lost some.
    assert min(outcomes["ewa won"], outcomes["jan won"]) > 0, outcomes
    rows = q(pg_url, "SELECT o.album, o.status, o.version, o.pending_action, "
                     "string_agg(e.action || ':' || e.actor, ',' ORDER BY e.id) "
                     "FROM orders o JOIN order_event e ON e.order_id = o.id "
                     "GROUP BY o.id ORDER BY o.album")
    assert len(rows) == n
    for (a, status, version, pending, trail), i in zip(rows, range(n)):
        who = won_by[a]
        at_mc = i % 2 == 1
        if who == "ewa":
            end = ("REVOKE_PENDING:ewa" if at_mc else "REVOKED:ewa")
            want = ("W_TRAKCIE", "REVOKE") if at_mc else ("UNIEWAZNIONE_PRZEZ_UCZELNIE", None)
        else:
            end = ("CANCEL_PENDING:jan" if at_mc else "CANCELLED:jan")
            want = ("W_TRAKCIE", "CANCEL") if at_mc else ("ANULOWANE_PRZEZ_UZYTKOWNIKA", None)
        steps = ["PLACED:tester"] + (["SUBMITTED:"] if at_mc else []) + [end]
        assert trail.split(",") == steps, (a, trail)
        assert (status, pending) == want and version == (3 if at_mc else 2), (a, status, pending, version)


def test_order_place_twice_at_once_for_one_student_makes_one_order(pg_url: str, tmp_path: Path):
    """`mleg-tui order place` run twice at the same moment for each of two students (two
    processes each), and then many threads at once: one order per student; the others
    are refused with the reason, never a second order and never a crash."""
    ctx = make_ctx(pg_url)
    albums = ["300001", "300002"]
    import_rows(ctx, tmp_path, *(enrolment(f"P{a}", a, "Jan", f"Kowalski{a}") for a in albums))
    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    env = cli_environment(pg_url, tmp_path / "config.toml")
    procs = [(a, popen_cli(["order", "place", a], env, tmp_path)) for a in albums for _ in range(2)]
    codes: dict[str, list[int]] = {a: [] for a in albums}
    for a, p in procs:
        out, err = p.communicate(timeout=120)
        codes[a].append(p.returncode)
        assert "Traceback" not in err, err
        if p.returncode:
            assert "masz zamówienie w realizacji" in err and len(err.strip().splitlines()) == 1, err
    assert all(sorted(c) == [0, 2] for c in codes.values()), codes

    # Threads meet at a barrier right before placing: the transactions really overlap.
    more = [str(300100 + i) for i in range(8)]
    import_rows(ctx, tmp_path, *(enrolment(f"Q{a}", a, "Ewa", f"Nowak{a}") for a in more))
    for a in more:
        contexts = [make_ctx(pg_url, login=f"w{k}") for k in range(4)]
        barrier = threading.Barrier(len(contexts))
        outcome: list[str] = []

        def place(c: Context, a: str = a, barrier: threading.Barrier = barrier,
                  outcome: list[str] = outcome) -> None:  # this round's, bound now
            barrier.wait()
            try:
                actions.place_order(c, a)
                outcome.append("placed")
            except actions.NotEligible:
                outcome.append("refused")
            finally:
                c.engine.dispose()

        threads = [threading.Thread(target=place, args=(c,)) for c in contexts]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(outcome) == ["placed", "refused", "refused", "refused"], (a, outcome)
    counts = q(pg_url, "SELECT album, count(*) FROM orders GROUP BY album ORDER BY album")
    assert counts == [(a, 1) for a in albums + more]


def test_a_writer_kept_waiting_for_a_row_is_told_clearly_and_readers_never_wait(
    placed: tuple[Context, int], pg_url: str, monkeypatch: pytest.MonkeyPatch
):
    """A session stopped in the middle of a change (Ctrl+Z, a hung terminal) holds an
    order's row: another writer waits for it no longer than the busy timeout, then is
    told in words, as on SQLite; readers do not wait at all."""
    import psycopg

    from mleg_tui.store import engine as store_engine

    _, order_id = placed
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_MS", 1000)
    ctx = make_ctx(pg_url)
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://")) as stuck:
        stuck.execute("UPDATE orders SET updated_at = now() WHERE id = %s", (order_id,))
        t0 = time.perf_counter()
        with pytest.raises(StoreError, match="Baza danych jest zajęta przez inny proces dłużej niż 1 s"):
            actions.revoke_orders(ctx, [order_id], "skreślenie")
        assert 0.9 < time.perf_counter() - t0 < 5
        t0 = time.perf_counter()
        assert student_view(ctx, album="100001").orders[0].status is S.OCZEKUJE
        assert find_orders(ctx, OrderQuery(text="100001"))[0].id == order_id
        assert time.perf_counter() - t0 < 0.5
        stuck.rollback()
    (r,) = actions.revoke_orders(ctx, [order_id], "skreślenie")  # the row is free again
    assert r.status is S.UNIEWAZNIONE_PRZEZ_UCZELNIE
    assert [e[0] for e in q(pg_url, "SELECT action FROM order_event ORDER BY id")] == ["PLACED", "REVOKED"]


class Paused:
    """The engine's next statement matching `pattern` waits inside its transaction (with
    the locks it already took) until `release()`: a real service call held open at a
    chosen moment, as a slow session would hold it."""

    def __init__(self, engine: Any, pattern: str) -> None:
        self.engine, self.pattern = engine, re.compile(pattern)
        self.reached, self.go = threading.Event(), threading.Event()
        event.listen(engine, "before_cursor_execute", self._hook)

    def _hook(self, conn, cursor, statement, params, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if not self.reached.is_set() and self.pattern.search(statement):
            self.reached.set()
            self.go.wait(60)

    def release(self) -> None:
        self.go.set()  # the hook stays (removing it races with the engine's threads), spent


def lock_waits(url: str) -> int:
    """Backends of this database waiting for a lock another transaction holds."""
    return q(url, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                  "AND wait_event_type = 'Lock'")[0][0]


def in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["result"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the test
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t, box


def only(*ns: int) -> RefreshSelection:
    return RefreshSelection(albums=[album(n) for n in ns])


@ON_PG
@pytest.mark.parametrize("moment", ["submission", "read"])
def test_an_operators_change_committed_while_a_refresh_writes_is_kept(world, moment: str):
    """MC's answer is being stored for an order at the very moment an operator's revocation
    of it commits (its transaction had the row; the refresh had read the row before). The
    refresh must not lose the revocation nor give up: it stores MC's answer on top of the
    order as it is now, and the revocation then goes to MC as usual."""
    ctx = world.ctx()
    if moment == "read":
        assert not refresh(ctx, only(1)).failures
        world.sim.advance(1000)  # DO_ODBIORU at MC, W_TRAKCIE in the store: a read will change it
    world.sim.set_knobs(latency_ms=600)
    operator = world.ctx(login="ewa")
    hold = Paused(operator.engine, r"INSERT INTO order_event")
    order_id = order_of(ctx, 1).id

    def start_refresh() -> tuple[threading.Thread, dict[str, Any]]:
        return in_thread(lambda: refresh(world.ctx(mc_concurrency=1), only(1)))

    def start_revocation() -> tuple[threading.Thread, dict[str, Any]]:
        started = in_thread(lambda: actions.revoke_orders(operator, [order_id], "skreślenie SKR-102"))
        assert hold.reached.wait(10), "the revocation did not start"
        return started

    if moment == "submission":  # claimed and being sent when the operator acts
        runner, box = start_refresh()
        wait_for(lambda: order_of(ctx, 1).lease_owner is not None)
        revoker, rbox = start_revocation()
    else:  # the operator acts first; MC's newer status comes while the change is open
        revoker, rbox = start_revocation()
        runner, box = start_refresh()
    # MC answers after its latency; the refresh then wants the row the operator holds.
    wait_for(lambda: lock_waits(str(world.db)) >= 1, timeout=15)
    hold.release()
    revoker.join(30)
    runner.join(60)
    assert "error" not in rbox, rbox
    assert rbox["result"][0].pending
    assert "error" not in box, box["error"]
    summary = box["result"]
    assert not summary.failures, [str(f) for f in summary.failures]
    o = order_of(ctx, 1)
    assert o.status == "UNIEWAZNIONE_PRZEZ_UCZELNIE" and o.pending_action is None, (o.status, o.pending_action)
    trail = [(e.action, e.new_status) for e in events(ctx, o.id)]
    assert ("REVOKE_PENDING", None) in trail and trail[-1] == ("REVOKED", "UNIEWAZNIONE_PRZEZ_UCZELNIE"), trail
    assert_consistent(ctx)
    assert_once_at_mc(world, ctx)


@ON_PG
def test_three_refreshes_at_once_never_submit_an_order_twice(world):
    """Three refreshes (a cron job and two people) start together on one database: the
    claims split the orders, every order goes to MC exactly once, and together they send
    them all."""
    world.sim.set_knobs(latency_ms=15)
    contexts = [world.ctx(mc_concurrency=2) for _ in range(3)]
    barrier = threading.Barrier(3)

    def run(c: Context) -> Any:
        barrier.wait()
        return refresh(c, RefreshSelection(statuses=frozenset({S.OCZEKUJE})))

    runs = [in_thread(lambda c=c: run(c)) for c in contexts]
    for t, _ in runs:
        t.join(120)
    summaries = []
    for _, box in runs:
        assert "error" not in box, box.get("error")
        summaries.append(box["result"])
    assert all(not s.failures for s in summaries), [str(f) for s in summaries for f in s.failures]
    assert sum(s.submitted for s in summaries) == TEMPLATE_STUDENTS
    assert sum(1 for s in summaries if s.submitted) >= 2, "the runs did not share the work"
    assert world.sim.stats()["requests"]["submit"] == TEMPLATE_STUDENTS
    ctx = world.ctx()
    assert statuses(ctx) == {"W_TRAKCIE": TEMPLATE_STUDENTS}
    assert_consistent(ctx)
    assert_once_at_mc(world, ctx)


def _struck_off(world, tmp_path: Path, ns: range) -> None:
    path = tmp_path / f"struck-{ns.start}-{ns.stop}.csv"
    path.write_text(register_csv([student_row(n, programme_status="STRUCK_OFF", status_date="2025-09-01")
                                  for n in ns]), encoding="utf-8")
    import_csv(world.ctx(), path)


@ON_PG
def test_readers_are_never_blocked_by_a_running_sweep(world, tmp_path: Path):
    """A TUI session pages through the order list, counts it and opens a student while the
    sweep revokes: first with one of the sweep's transactions held open on the very order
    being read, then during a whole sweep. Every read returns at once (well under a
    second) and shows what is committed."""
    _struck_off(world, tmp_path, range(0, 150))
    sweeper = world.ctx(login="cron")
    reader = world.ctx(login="ewa")
    first = order_of(reader, 0)
    hold = Paused(sweeper.engine, r"INSERT INTO order_event")
    sweep, box = in_thread(lambda: run_sweep(sweeper))
    assert hold.reached.wait(20), "the sweep did not start revoking"
    # The sweep's transaction has changed an order and is open: a reader does not wait.
    timings: list[float] = []

    def timed(fn: Callable[[], Any]) -> Any:
        t0 = time.perf_counter()
        out = fn()
        timings.append(time.perf_counter() - t0)
        return out

    def page_through(q_: OrderQuery) -> int:
        rows = timed(lambda: find_orders(reader, q_, limit=40))
        seen = len(rows)
        while len(rows) == 40:
            last = rows[-1]
            rows = timed(lambda last=last: find_orders(reader, q_, limit=40, after=last.key, after_lp=last.lp))
            seen += len(rows)
        return seen

    everything = OrderQuery()
    assert page_through(everything) == TEMPLATE_STUDENTS
    assert timed(lambda: count_orders(reader, everything)) == TEMPLATE_STUDENTS
    view = timed(lambda: student_view(reader, album=album(0)))
    assert [o.id for o in orders(reader) if o.version != 1] == []  # the open change is not seen ...
    assert view.orders[0].status.value == "OCZEKUJE" and view.orders[0].id == first.id
    assert timed(lambda: count_orders(reader, OrderQuery(statuses=frozenset({S.OCZEKUJE})))) >= TEMPLATE_STUDENTS - 1
    assert max(timings) < 0.5, timings
    hold.release()
    # ... and during the rest of the sweep, paging on and on.
    during: list[float] = []
    while sweep.is_alive():
        t0 = time.perf_counter()
        find_orders(reader, OrderQuery(sort="status"), limit=40, offset=100)
        count_orders(reader, OrderQuery(text="kowalsk"))
        during.append(time.perf_counter() - t0)
    sweep.join(60)
    assert "error" not in box, box.get("error")
    assert box["result"].revoked == 150 and not box["result"].failures
    assert during, "the sweep ended before a reader could look"
    print(f"reads while held: max {max(timings):.3f}s; during the sweep: {len(during)} reads, "
          f"max {max(during):.3f}s, median {statistics.median(during):.3f}s")
    assert max(during) < 0.5 and statistics.median(during) < 0.1, (max(during), statistics.median(during))
    assert statuses(reader) == {"UNIEWAZNIONE_PRZEZ_UCZELNIE": 150, "OCZEKUJE": TEMPLATE_STUDENTS - 150}
    assert_consistent(reader)


def advisory_locks(url: str) -> int:
    return q(url, "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                  "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()")[0][0]


@ON_PG
def test_two_sweeps_at_once_and_a_killed_sweep_frees_its_lock(world, tmp_path: Path):
    """Two `mleg-tui sweep` processes on one database: the second says another sweep is
    running and exits 2, changing nothing. kill -9 of the running sweep frees the lock at
    once (it is held by the dead process's connection), and the next sweep finishes what
    the killed one began."""
    ctx = world.ctx()
    group = range(0, 24)
    assert not refresh(ctx, only(*group)).failures  # at MC: each revocation is a call to MC
    _struck_off(world, tmp_path, group)
    world.sim.set_knobs(latency_ms=500)
    first = world.popen("sweep", MLEG_TUI_MC_CONCURRENCY="1")
    wait_for(lambda: advisory_locks(str(world.db)) == 1 or first.poll() is not None, timeout=30)
    assert first.poll() is None, world.finish(first, ("sweep",))
    second = world.cli("sweep")
    assert second.returncode == 2, second
    assert second.stderr.strip() == ("mleg-tui: Inny skrypt unieważniający właśnie działa na tej bazie; "
                                     "spróbuj później."), second
    wait_for(lambda: world.sim.stats()["requests"].get("revoke", 0) >= 2, timeout=30)
    first.send_signal(signal.SIGKILL)
    world.finish(first, ("sweep",))
    wait_for(lambda: advisory_locks(str(world.db)) == 0, timeout=10)
    mid = statuses(ctx)
    assert mid.get("UNIEWAZNIONE_PRZEZ_UCZELNIE", 0) < len(group), mid  # it was stopped midway
    world.sim.set_knobs(latency_ms=0)
    third = world.cli("sweep")
    assert third.returncode == 0, third
    assert {order_of(ctx, n).status for n in group} == {"UNIEWAZNIONE_PRZEZ_UCZELNIE"}
    assert advisory_locks(str(world.db)) == 0
    assert_consistent(ctx)
    assert_once_at_mc(world, ctx)
