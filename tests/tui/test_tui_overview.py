"""The overview from the keyboard (issue 13): `o` on the order list, each section as it
comes, Enter on a line opens exactly its set with the same count, C clears it; a student
line opens the list of those students and a student from it."""
from __future__ import annotations

from typing import Any

from mleg_tui.screens.overview import COMING, OverviewScreen
from mleg_tui.screens.student_list import StudentListScreen
from mleg_tui.services.overview_types import StudentSet
from mleg_tui.widgets.filter_bar import FilterBar
from mleg_tui.widgets.order_table import OrderTable
from support.tui import loaded, screen_text, settle, until


async def overview_shown(pilot: Any) -> OverviewScreen:
    await loaded(pilot)
    await pilot.press("o")
    screen = await until(pilot, lambda: isinstance(pilot.app.screen, OverviewScreen) and pilot.app.screen)
    await until(pilot, lambda: all(s is not None for s in screen.sections.values()), what="every section")
    await settle(pilot)
    return screen


async def go_to(pilot: Any, screen: OverviewScreen, label: str) -> int:
    """The cursor on the line of that label; its count."""
    index = next(i for i, line in enumerate(screen.lines) if line.label == label)
    option = screen.listed.get_option_index(screen.line_ids[index])
    screen.listed.highlighted = option
    await pilot.pause()
    return screen.lines[index].count


async def test_enter_on_a_radar_line_opens_the_list_of_exactly_that_set_and_c_clears_it(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await overview_shown(pilot)
        assert COMING not in screen_text(app)
        everything = screen.lines[[line.label for line in screen.lines].index("Wszystkie")].count
        count = await go_to(pilot, screen, "Kody do odbioru już wygasły (student anuluje i zamawia ponownie)")
        assert count > 0
        await pilot.press("enter")
        table = await until(pilot, lambda: not isinstance(app.screen, OverviewScreen)
                            and app.screen.query_one(OrderTable))
        await until(pilot, lambda: table.total == count, what=f"the list's count {count}")
        assert "Zestaw z przeglądu: do odbioru, kody wygasły" in screen_text(app)
        assert all(row.status_text() == "Do odbioru (kody wygasły)" for row in table.loaded_rows())
        await pilot.press("C")
        await until(pilot, lambda: table.total == everything, what="the whole list again")
        assert app.screen.query_one(FilterBar).order_set is None
        assert "Zestaw z przeglądu" not in screen_text(app)


async def test_a_status_line_fills_the_status_field_and_a_day_range_the_dates(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await overview_shown(pilot)
        count = await go_to(pilot, screen, "Ostatnie 30 dni")
        await pilot.press("enter")
        table = await until(pilot, lambda: not isinstance(app.screen, OverviewScreen)
                            and app.screen.query_one(OrderTable))
        await until(pilot, lambda: table.total == count, what=f"the list's count {count}")
        text = screen_text(app)
        assert "22.10.2025" in text and "20.11.2025" in text  # in the date fields
        await pilot.press("o")
        screen = await until(pilot, lambda: isinstance(app.screen, OverviewScreen) and app.screen)
        await until(pilot, lambda: all(s is not None for s in screen.sections.values()))
        count = await go_to(pilot, screen, "Odebrana")
        await pilot.press("enter")
        await until(pilot, lambda: table.total == count, what=f"the list's count {count}")
        assert all(row.status.label == "Odebrana" for row in table.loaded_rows())


async def test_a_student_line_opens_those_students_and_each_opens_the_student(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await overview_shown(pilot)
        count = await go_to(pilot, screen, "Mogą zamówić, a nigdy nie zamawiali")
        assert count > 0 and isinstance(screen.lines[0].opens, object)
        await pilot.press("enter")
        listing = await until(pilot, lambda: isinstance(app.screen, StudentListScreen) and app.screen)
        await until(pilot, lambda: listing.total is not None and listing.students, what="the list")
        assert listing.total == count and isinstance(listing.which, StudentSet)
        assert f"spośród {count}" in screen_text(app)
        await pilot.press("enter")
        student = await until(pilot, lambda: type(app.screen).__name__ == "StudentScreen" and app.screen)
        await until(pilot, lambda: student.view is not None)
        assert student.view.verdict.eligible and not student.view.orders
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is listing)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)


async def test_each_section_is_marked_as_coming_until_its_figures_arrive(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        screen = OverviewScreen()
        screen.load = lambda: None  # type: ignore[method-assign]  # no worker: nothing arrives
        await app.push_screen(screen)
        await pilot.pause()
        assert screen_text(app).count(COMING.strip()) == 6
        assert screen.current() is None  # nothing to open yet
        await pilot.press("enter")
        assert app.screen is screen


async def test_the_cursor_stays_on_its_line_whatever_order_the_sections_come_in(make_app, service_ctx) -> None:  # type: ignore[no-untyped-def]
    from mleg_tui.services.overview import section

    now = service_ctx.clock.now()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        screen = OverviewScreen()
        screen.load = lambda: None  # type: ignore[method-assign]  # the sections come from the test
        await app.push_screen(screen)
        await pilot.pause()
        screen._arrived(("students", section(service_ctx, "students", now)))
        screen._arrived(("radar", section(service_ctx, "radar", now)))
        await pilot.pause()
        assert screen.current() == (0, screen.lines[0])  # the first line, not the students' one
        await pilot.press("down", "down")
        chosen = screen.current()
        assert chosen is not None and chosen[1].label == screen.lines[2].label
        screen._arrived(("statuses", section(service_ctx, "statuses", now)))
        await pilot.pause()
        again = screen.current()
        assert again is not None and again[1] == chosen[1]
