"""The order list as windows over the store: every way of reaching a window (first page,
keyset after/before, a jump to any place, End counted from the end) gives exactly the
rows the whole list has there, for every sort, on both databases; and the two ways of
filtering by name (a list of persons from the trigram index, or testing each row's
name for common words) agree."""
from __future__ import annotations

import pytest

from mleg_tui.demo.data import build_demo
from mleg_tui.services import orders as orders_service
from mleg_tui.services.context import Context
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.orders import SORT_COLUMNS, count_orders, find_orders, iter_orders


@pytest.fixture
def demo(ctx: Context) -> Context:
    build_demo(ctx, students=250, seed=11)
    return ctx


def ids(rows) -> list[int]:  # type: ignore[no-untyped-def]
    return [r.id for r in rows]


@pytest.mark.parametrize("sort", sorted(SORT_COLUMNS))
@pytest.mark.parametrize("descending", [True, False])
def test_every_way_to_a_window_gives_the_lists_own_rows(demo: Context, sort: str, descending: bool):
    q = OrderQuery(sort=sort, descending=descending)  # type: ignore[arg-type]
    whole = list(iter_orders(demo, q, chunk=37))
    total = count_orders(demo, q)
    assert len(whole) == total and [r.lp for r in whole] == list(range(1, total + 1))
    assert len(set(ids(whole))) == total  # keyset paging neither repeats nor skips a row
    for start in (0, 1, 39, total // 2 - 3, total // 2 + 5, total - 40, total - 7):
        for given_total in (None, total):
            window = find_orders(demo, q, limit=40, offset=start, total=given_total)
            assert ids(window) == ids(whole[start:start + 40]), (start, given_total)
            assert [r.lp for r in window] == list(range(start + 1, start + 1 + len(window)))
    middle = whole[100]
    after = find_orders(demo, q, limit=10, after=middle.key, after_lp=middle.lp)
    before = find_orders(demo, q, limit=10, before=middle.key, before_lp=middle.lp)
    assert ids(after) == ids(whole[101:111]) and [r.lp for r in after] == list(range(102, 112))
    assert ids(before) == ids(whole[90:100]) and [r.lp for r in before] == list(range(91, 101))


@pytest.mark.parametrize("text", ["nowak", "ska", "an", "karolina bach", "ewa lewandowska", "ŻÓŁKIEWSKI"])
def test_common_and_rare_names_are_found_alike(demo: Context, text: str, monkeypatch: pytest.MonkeyPatch):
    q = OrderQuery(text=text)
    by_index = ids(iter_orders(demo, q))
    # With the threshold at 0 every name is "common": each row's own name is tested.
    monkeypatch.setattr(orders_service, "FEW_PERSONS", 0)
    by_rows = ids(iter_orders(demo, q))
    assert by_index == by_rows
    assert count_orders(demo, q) == len(by_index)
    assert by_index, f"the demo store has someone matching {text!r}"
