"""The student pane beside the order list (120 columns and wider): it follows the cursor,
never holds up the table's keys, and shows what the student screen shows, reveal aside."""
from __future__ import annotations

from mleg_tui.screens.student import StudentScreen
from mleg_tui.screens.student_side import StudentSide
from mleg_tui.services.types import StudentView
from mleg_tui.widgets.order_table import PERSON_MIN, OrderTable, compute_layout
from support.tui import burst, eligible_album, loaded, screen_text, settle, until


def side_of(app) -> StudentSide:  # type: ignore[no-untyped-def]
    return app.screen.query_one(StudentSide)


async def showing(pilot, person_id: int) -> StudentView:  # type: ignore[no-untyped-def]
    side = side_of(pilot.app)
    await until(pilot, lambda: side.person_id == person_id and side.view is not None,
                what=f"pane showing person {person_id}")
    await settle(pilot)
    assert side.view is not None
    return side.view


def side_text(app) -> str:  # type: ignore[no-untyped-def]
    """What the pane shows (the columns right of the table), words joined."""
    side = side_of(app)
    x = side.region.x + 1  # its border
    return " ".join(" ".join(line[x:] for line in screen_text(app).splitlines()).split())


async def test_pane_follows_the_cursor_at_120x40(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table, side = app.screen.query_one(OrderTable), side_of(app)
        assert side.display and side.region.width >= 48
        first = table.current_row
        await showing(pilot, first.person_id)
        assert first.person in side_text(app)
        # The table keeps its columns readable beside it.
        assert compute_layout(table.scrollable_content_region.width, table.lp_width).person >= PERSON_MIN
        while table.current_row.person_id == first.person_id:
            await pilot.press("down")
        moved = table.current_row
        view = await showing(pilot, moved.person_id)
        assert view.person_id == moved.person_id
        text = side_text(app)
        assert moved.person in text and first.person not in text
        assert "Historia zamówień" in text
        assert app.focused is table  # the pane never takes the keys
        await pilot.press("enter")  # the student in full, as at 80 columns
        await until(pilot, lambda: isinstance(app.screen, StudentScreen) and app.screen.view)
        assert app.screen.view.person_id == moved.person_id


async def test_no_pane_at_80x24_and_it_comes_and_goes_with_the_width(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        side, table = side_of(app), app.screen.query_one(OrderTable)
        assert not side.display and table.region.width == 80
        assert side.wanted is None  # nobody was read for it
        await pilot.press("p")  # says why it cannot
        await until(pilot, lambda: any("od 120 kolumn" in str(n.message) for n in app._notifications))

        await pilot.resize_terminal(130, 40)
        await until(pilot, lambda: side.display, what="pane shown")
        await showing(pilot, table.current_row.person_id)
        await pilot.press("p")  # hidden by the clerk: the table takes the whole width
        await settle(pilot)
        assert not side.display and table.region.width == 130
        await pilot.press("p")
        await showing(pilot, table.current_row.person_id)

        await pilot.resize_terminal(119, 40)
        await settle(pilot)
        assert not side.display and table.region.width == 119


async def test_holding_pagedown_reads_no_student_on_the_way(make_app, monkeypatch) -> None:
    """Keys in a burst (a held key) all move the table; the pane reads the student of the
    row where the cursor rests, not one per row passed."""
    from mleg_tui.screens import student

    reads: list[int | None] = []
    real = student.load_student

    def counted(ctx, **kw):  # type: ignore[no-untyped-def]
        reads.append(kw.get("person_id"))
        return real(ctx, **kw)

    monkeypatch.setattr(student, "load_student", counted)
    app = make_app(role="viewer")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        await showing(pilot, table.current_row.person_id)
        reads.clear()
        burst(app, *["pagedown"] * 6, *["down"] * 5)
        await until(pilot, lambda: table.current_row is not None and table.cursor == 6 * table._body_height + 5,
                    what="cursor moved by every key")
        row = await until(pilot, lambda: table.current_row)
        await showing(pilot, row.person_id)
        assert reads[-1] == row.person_id and len(reads) <= 2, reads


async def test_store_change_refreshes_the_pane(make_app, service_ctx) -> None:
    from mleg_tui.services.actions import place_order
    from mleg_tui.services.students import student_view

    album = eligible_album(service_ctx)
    before = len(student_view(service_ctx, album=album).orders)
    app = make_app(role="viewer")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("slash", *album, "enter")
        table = app.screen.query_one(OrderTable)
        await until(pilot, lambda: table.current_row is not None and table.current_row.album == album)
        view = await showing(pilot, table.current_row.person_id)
        assert len(view.orders) == before
        place_order(service_ctx, album)  # the student orders on the portal meanwhile
        app.orders_changed.publish([])
        await until(pilot, lambda: len(side_of(app).view.orders) == before + 1,
                    what="pane read again")
        await settle(pilot)
        assert f"Historia zamówień ({before + 1})" in side_text(app)


async def test_empty_list_and_the_reveal_stay_off_the_pane(make_app) -> None:
    app = make_app(role="operator")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("slash", *"1234336607", "enter")
        table = app.screen.query_one(OrderTable)
        await until(pilot, lambda: table.total == 2)
        view = await showing(pilot, table.current_row.person_id)
        assert view.current.has_activation_code
        text = side_text(app)
        assert "Kod aktywacyjny: ukryty" in text and "klawisz" not in text  # the reveal is on the student screen
        assert view.current.qr_code in text  # the QR code's text, always

        await pilot.press("C", "slash", *"zzzz", "enter")
        await until(pilot, lambda: table.total == 0)
        await until(pilot, lambda: side_of(app).view is None, what="pane emptied")
        assert "nie ma studenta do pokazania" in side_text(app)


async def test_the_cursor_stays_in_view_when_the_terminal_shrinks(make_app) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(OrderTable)
        await pilot.press(*["down"] * 30)
        row = table.current_row
        await pilot.resize_terminal(80, 24)
        await settle(pilot)
        assert table.current_row is row
        assert int(table.scroll_y) <= table.cursor < int(table.scroll_y) + table._body_height
        assert f"{row.lp} {row.person[:PERSON_MIN - 1]}" in screen_text(app)


async def test_the_pane_is_drawn_again_for_its_new_width(make_app) -> None:
    """Its lines are drawn for the pane's size: a wider terminal draws them again, wider
    (an order's heading that wrapped in 48 columns stands on one line in 80)."""
    from mleg_tui.domain.dates import pl_datetime

    app = make_app(role="viewer")
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        side, table = side_of(app), app.screen.query_one(OrderTable)
        view = await showing(pilot, table.current_row.person_id)
        o = view.orders[0]
        heading = f"{o.order_ref} · {o.status_text()} · zamówione {pl_datetime(o.ordered_at)}"

        def pane_rows() -> list[str]:
            x = side.region.x + 1
            return [line[x:].strip() for line in screen_text(app).splitlines()]

        assert not any(heading in row for row in pane_rows())  # 48 columns: it wraps
        await pilot.resize_terminal(200, 40)
        await until(pilot, lambda: any(heading in row for row in pane_rows()), what="pane drawn 80 wide")
        assert side.region.width > 48 and side.view is view  # drawn again, not read again
