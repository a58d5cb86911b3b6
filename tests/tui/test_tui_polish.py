"""No English text of Textual's reaches the clerk: the status dropdown's open list, the
command palette's empty result, Ctrl+C's notice, the header's tooltip."""
from __future__ import annotations

import re

from textual.binding import Binding

from mleg_tui.widgets.key_bar import KeyBar
from support.tui import loaded, screen_text, settle, until


def footer_bindings_from_textual(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The footer's bindings written in Textual's own code (their texts are English)."""
    out = []
    for active in app.screen.active_bindings.values():
        b = active.binding
        if not (b.show and b.description):
            continue
        origin = next(cls for cls in type(active.node).__mro__
                      if any((d.action, d.description) == (b.action, b.description)
                             for d in Binding.make_bindings(cls.__dict__.get("BINDINGS", []))))
        if not origin.__module__.startswith("mleg_tui"):
            out.append(f"{origin.__name__}: {b.description}")
    return out


async def test_the_status_dropdown_is_named_in_polish(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("slash", "tab")
        await until(pilot, lambda: app.focused is not None and app.focused.id == "f-status", what="status field")
        await pilot.press("enter")
        await until(pilot, lambda: type(app.focused).__name__ != "Select", what="the open list")
        assert footer_bindings_from_textual(app) == []
        bar = app.screen.query_one(KeyBar)
        await until(pilot, lambda: "Esc Zamknij listę" in bar.plain, what="the list's key in the footer")
        assert "Dismiss" not in bar.plain
        await pilot.press("down", "enter")  # the list still works: a status is chosen
        await settle(pilot)
        assert "Zamknij listę" not in bar.plain


async def test_every_footer_key_on_the_orders_screen_is_the_apps_own(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("slash")
        seen = set()
        for _ in range(8):  # every field of the filter, then back to the table
            await pilot.pause()
            seen.add(type(app.focused).__name__)
            assert footer_bindings_from_textual(app) == [], app.focused
            await pilot.press("tab")
        assert {"Input", "Select"} <= seen


async def test_the_palettes_empty_result_is_polish(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("colon")
        await until(pilot, lambda: app.screen.has_class("--textual-command-palette"), what="the palette")
        await pilot.press(*"qqqxyz")
        await until(pilot, lambda: "Nic nie pasuje" in screen_text(app), what="the empty result")
        assert "No matches" not in screen_text(app)
        await pilot.press(*["backspace"] * 6, *"pomoc")
        await until(pilot, lambda: "Pomoc: klawisze" in screen_text(app), what="a command found again")
        assert "Nic nie pasuje" not in screen_text(app)


async def test_ctrl_c_says_in_polish_how_to_quit(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+c")
        await until(pilot, lambda: app._notifications, what="a notice")
        [notice] = list(app._notifications)
        assert notice.title == "Zakończyć?"
        assert notice.message.startswith("Aby zakończyć program, naciśnij q albo ")
        assert app.is_running  # it did not quit


async def test_the_header_icon_tooltip_is_polish(make_app) -> None:
    from textual.widgets._header import HeaderIcon

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        icon = app.screen.query_one(HeaderIcon)
        await until(pilot, lambda: icon.tooltip == "Lista poleceń (: albo Ctrl+P)", what="the tooltip")


LIST_TIME = re.compile(r" \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} ")
DETAIL_DATE = re.compile(r"\d{1,2}\.\d{2}\.\d{4}")
EVENT_TIME = re.compile(r"\d{1,2}\.\d{2}\.\d{4}, \d{2}:\d{2}:\d{2}")


async def test_the_table_and_the_student_each_write_dates_one_way(make_app) -> None:
    """The list as figure 11 (2025-09-03 22:20:32, where the table is wide enough); the
    student as the manual's student pages (19.11.2025, 22:20; an event to the second)."""
    from mleg_tui.screens.student import StudentScreen

    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await loaded(pilot)
        await pilot.press("p")  # the table alone, at its widest (the pane's dates are the student's)
        await settle(pilot)
        rows = [line for line in screen_text(app).splitlines() if re.search(r"\d{4}-\d{2}-\d{2}", line)]
        assert len(rows) > 20
        assert all(LIST_TIME.search(row) and not DETAIL_DATE.search(row) for row in rows), rows
        await pilot.press("l", *"1234336607", "enter")
        await until(pilot, lambda: isinstance(app.screen, StudentScreen) and app.screen.view, what="student")
        await settle(pilot)
        page = screen_text(app)
    assert re.search(r"Data zamówienia: \d{1,2}\.\d{2}\.\d{4}, \d{2}:\d{2} ", page), page
    assert re.search(r"zamówione \d{1,2}\.\d{2}\.\d{4}, \d{2}:\d{2} ", page), page  # the history's heading
    events = re.findall(r"^ +(\d\S* \S+) (?:student|system MC) · ", page, re.M)
    assert len(events) >= 5 and all(EVENT_TIME.fullmatch(e) for e in events), events
    assert not re.search(r"\d{4}-\d{2}-\d{2}|(?<![\d.])0\d\.\d{2}\.\d{4}", page), page
