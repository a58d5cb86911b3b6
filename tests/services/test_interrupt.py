"""A read made pointless by a newer one (services.interrupt): on SQLite its statement stops at
once, from another thread, and the store reads on as before; an interrupt after the read
ended stops nothing; PostgreSQL's get a cancel request, and their connection is not used again."""
from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from mleg_tui.demo.data import build_demo
from mleg_tui.services.context import Context
from mleg_tui.services.interrupt import Interrupt, Interrupted
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.orders import count_orders, find_orders
from mleg_tui.store.engine import is_sqlite

WORD = OrderQuery(text="a")  # a name filter that reads most of the store


@pytest.fixture
def demo(ctx: Context) -> Context:
    build_demo(ctx, students=250, seed=11)
    return ctx


@pytest.fixture
def slowed(demo: Context) -> Iterator[Context]:
    """The same store, its SQLite statements slowed (a short sleep every 10 steps of
    SQLite's machine) so that a count takes long enough to be stopped in the middle."""
    if not is_sqlite(demo.engine):
        yield demo
        return

    def slow() -> int:
        time.sleep(0.002)
        return 0  # go on

    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.set_progress_handler(slow, 10)

    event.listen(demo.engine, "connect", on_connect)
    demo.engine.dispose()  # connections from now on are slowed
    yield demo
    event.remove(demo.engine, "connect", on_connect)
    demo.engine.dispose()


def timed(fn):  # type: ignore[no-untyped-def]
    t = time.monotonic()
    try:
        return fn(), time.monotonic() - t
    except Interrupted:
        return Interrupted, time.monotonic() - t


def test_a_read_interrupted_from_another_thread(slowed: Context) -> None:
    ctx = slowed
    expected, whole = timed(lambda: count_orders(ctx, WORD))
    rows = find_orders(ctx, WORD, limit=30)
    assert expected > 100 and len(rows) == 30

    stop = Interrupt()
    threading.Timer(whole / 10, stop.interrupt).start()
    got, took = timed(lambda: count_orders(ctx, WORD, interrupt=stop))
    if is_sqlite(ctx.engine):
        assert whole > 0.2, "the slowed count must take long enough to be stopped in the middle"
        assert got is Interrupted and took < whole / 2
    else:  # in the server: a cancel request, which may come after it ended
        assert got in (expected, Interrupted)

    # The connection goes back to the pool and reads on, whole and right.
    assert count_orders(ctx, WORD) == expected
    assert [r.id for r in find_orders(ctx, WORD, limit=30)] == [r.id for r in rows]

    # An interrupt after the read ended stops nothing after it.
    late = Interrupt()
    assert count_orders(ctx, WORD, interrupt=late) == expected
    late.interrupt()
    assert count_orders(ctx, WORD) == expected

    # One interrupted before it starts reads nothing.
    assert timed(lambda: find_orders(ctx, WORD, interrupt=late))[0] is Interrupted


def test_a_postgresql_statement_is_cancelled_and_its_connection_not_used_again(demo: Context) -> None:
    """A stale read's statement stops in the server; its connection is closed, not pooled,
    so that a cancel arriving late cannot stop the next read on it."""
    from sqlalchemy import text

    from mleg_tui.services.interrupt import interruptible
    from mleg_tui.store.engine import reading

    ctx = demo
    if is_sqlite(ctx.engine):
        return  # SQLite's interrupt: test_a_read_interrupted_from_another_thread
    expected = count_orders(ctx, WORD)
    with reading(ctx.engine) as s:
        pid = s.execute(text("SELECT pg_backend_pid()")).scalar()
    stop = Interrupt()

    def read() -> None:
        with reading(ctx.engine) as s, interruptible(s, stop):
            assert s.execute(text("SELECT pg_backend_pid()")).scalar() == pid  # the pooled one
            s.execute(text("SELECT pg_sleep(5)"))

    threading.Timer(0.3, stop.interrupt).start()
    got, took = timed(read)
    assert got is Interrupted and took < 2.5
    with reading(ctx.engine) as s:
        assert s.execute(text("SELECT pg_backend_pid()")).scalar() != pid  # that connection is gone
    assert count_orders(ctx, WORD) == expected  # and the store reads on, right
