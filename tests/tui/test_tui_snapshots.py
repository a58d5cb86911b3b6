"""Snapshots of every screen and dialog at 80x24 and 120x40 (fixed instant and seed).

Each runs on both databases against one SVG: the same data must look the same on screen
whichever database holds it (the backend is left out of the snapshot's name).

Update after a deliberate change with `pytest tests/tui/test_tui_snapshots.py --snapshot-update`
and look at the new SVGs under tests/tui/__snapshots__/ before committing them.
"""
from __future__ import annotations

import re

import pytest
import pytest_textual_snapshot

from mleg_tui.widgets.order_table import OrderTable
from support.stores import BACKENDS
from support.tui import loaded, screen_text, settle, until

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
_BACKEND_ID = re.compile(r"(?<=\[)(?:{0})-|-(?:{0})(?=\])".format("|".join(BACKENDS)))


class _OneSvgForEveryBackend(pytest_textual_snapshot.SVGImageExtension):
    """test_orders[postgresql-80x24] and test_orders[sqlite-80x24] both compare against
    (and, with --snapshot-update, write) test_orders[80x24].svg."""

    @classmethod
    def get_snapshot_name(cls, *, test_location, index=0):  # type: ignore[no-untyped-def]
        return _BACKEND_ID.sub("", super().get_snapshot_name(test_location=test_location, index=index))


@pytest.fixture(autouse=True)
def _one_svg_for_every_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    # snap_compare looks the extension up in its module when it runs.
    monkeypatch.setattr(pytest_textual_snapshot, "SVGImageExtension", _OneSvgForEveryBackend)


async def _student(pilot, album: str) -> None:  # type: ignore[no-untyped-def]
    await loaded(pilot)
    await pilot.press("l", *album, "enter")
    await until(pilot, lambda: type(pilot.app.screen).__name__ == "StudentScreen"
                and pilot.app.screen.view is not None)
    await settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_orders(snap_compare, make_app, size) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=loaded)


@pytest.mark.parametrize("size", SIZES[1:])
def test_student_pane_beside_the_list(snap_compare, make_app, size) -> None:
    """At 120x40 the student of the cursor's row stands beside the list."""
    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        from mleg_tui.screens.student_side import StudentSide

        await loaded(pilot)
        table = pilot.app.screen.query_one(OrderTable)
        while table.current_row.album != "1234336607":  # a student with a QR code
            await pilot.press("down")
        side = pilot.app.screen.query_one(StudentSide)
        await until(pilot, lambda: side.person_id == table.current_row.person_id)
        await settle(pilot)

    assert snap_compare(make_app(role="operator"), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_student_ready_with_qr(snap_compare, make_app, size) -> None:
    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await _student(pilot, "1234336607")

    assert snap_compare(make_app(role="operator"), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_student_qr_on_its_key(snap_compare, make_app, size) -> None:
    """Q draws the QR code to be scanned where the first screen has no room for it."""
    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await _student(pilot, "1234336607")
        await pilot.press("Q")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "QRDialog")
        await settle(pilot)

    assert snap_compare(make_app(role="viewer"), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_student_may_not_order(snap_compare, make_app, size) -> None:
    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await _student(pilot, "100007")

    assert snap_compare(make_app(role="viewer"), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare, make_app, size) -> None:
    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        await pilot.press("question_mark")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "HelpScreen")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_lookup_unknown_album(snap_compare, make_app, size) -> None:
    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        await pilot.press("l", *"999999", "enter")
        await until(pilot, lambda: "999999" in str(pilot.app.screen.query_one("#lookup-message").render()))
        field = pilot.app.screen.query_one("#lookup-text")
        field.cursor_blink = False
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_revoke_dialog(snap_compare, make_app, size) -> None:
    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        table = pilot.app.screen.query_one(OrderTable)
        await pilot.press("space", "space", "space")
        await pilot.press("slash", *"1234336607", "enter")
        await loaded(pilot)
        assert table.total == 2
        await pilot.press("x")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "RevokeDialog")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_refresh_summary(snap_compare, make_app, size, monkeypatch) -> None:
    from mleg_tui.services import mc_sync
    from mleg_tui.services.types import RefreshFailure, RefreshProgress, RefreshSummary

    def fake(ctx, selection, *, on_progress=None, cancel=None, concurrency=None):  # type: ignore[no-untyped-def]
        if on_progress:
            on_progress(RefreshProgress(done=5, total=10, errors=1, changed=2, changed_ids=[1],
                                        elapsed=1.0))
        return RefreshSummary(total=10, done=10, changed=3, submitted=1, seconds=2.0,
                              by_status={"DO_ODBIORU": 2, "W_TRAKCIE": 1},
                              failures=[RefreshFailure(7, "UCZ-000007", "Anna Nowak", "100123",
                                                       "MC nie zna tego zamówienia")])

    monkeypatch.setattr(mc_sync, "refresh", fake)

    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        await pilot.press("U")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "RefreshScreen"
                    and not pilot.app.screen.running)
        await settle(pilot)

    assert snap_compare(make_app(mc_url="http://127.0.0.1:9"), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_sweep_preview(snap_compare, make_app, size) -> None:
    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        await pilot.press("w")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "SweepScreen"
                    and pilot.app.screen.items is not None)
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_filter_with_bad_date(snap_compare, make_app, size) -> None:
    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        field = pilot.app.screen.query_one("#f-from")
        field.focus()
        field.cursor_blink = False
        await pilot.press(*"31.02.2025")
        await until(pilot, lambda: field.has_class("-invalid"))
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_sweep_confirm_dialog(snap_compare, make_app, size) -> None:
    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await loaded(pilot)
        await pilot.press("w")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "SweepScreen"
                    and pilot.app.screen.items is not None)
        await settle(pilot)  # the table sized and drawn: under the dialog it is not drawn again
        await pilot.press("t")
        await until(pilot, lambda: type(pilot.app.screen).__name__ == "ConfirmDialog")
        await settle(pilot)
        # The list under the dialog drawn with its columns sized (the whole name shown).
        items = pilot.app.screen_stack[-2].items
        await until(pilot, lambda: items[0].person in screen_text(pilot.app), what="list under the dialog")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run)


@pytest.mark.parametrize("size", SIZES)
def test_overview(snap_compare, make_app, size) -> None:
    """At 80x24 its top (what needs action); at 120x40 its end (errors and orders per day,
    their series beside each line and the highlighted one's chart below)."""
    from test_tui_overview import overview_shown

    async def run(pilot) -> None:  # type: ignore[no-untyped-def]
        await overview_shown(pilot)
        if size == (120, 40):
            await pilot.press("end")
        await settle(pilot)

    assert snap_compare(make_app(), terminal_size=size, run_before=run)
