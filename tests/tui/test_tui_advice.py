"""What to do, and the order that matters now, as the help desk sees them: the student
screen says the advice table's words for each of the demo's stories, a card past its
expiry gives way to a newer order and is marked in the history and in the order list."""
from __future__ import annotations

from pathlib import Path

import pytest

from mleg_tui.config import Settings
from mleg_tui.domain.status import OrderStatus as S
from mleg_tui.screens.student import StudentScreen
from mleg_tui.services.context import Context, open_context
from support.register import enrolment
from support.stores import import_rows, mc_moves
from support.tui import loaded, screen_text, settle, until

BIG = (130, 90)  # the whole student on screen


def flat(text: str) -> str:
    return " ".join(text.split())


async def open_student(pilot, album: str) -> StudentScreen:  # type: ignore[no-untyped-def]
    await pilot.press("l", *album, "enter")
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, StudentScreen) and app.screen.view
                and app.screen.view.album == album, what=f"student {album}")
    await settle(pilot)
    return app.screen


# The README's students; the two the old advice got wrong are pinned to their rows.
STORIES = [
    ("100009", "CODES_EXPIRED", ["DO ODBIORU (KODY WYGASŁY)", "musi anulować zamówienie"], ["poczekaj"]),
    ("100007", "REVOKE_LOST_RIGHT", ["Trzeba unieważnić mLegitymację", "skrypt unieważniający"],
     ["30 dni przed", "można zamówić"]),
    ("100002", None, [], []), ("1234336607", None, [], []), ("100005", None, ["Zamówienie zakończyło się błędem"], []),
    ("100006", None, [], []), ("100001", None, [], []), ("100003", None, [], []),
]


@pytest.mark.parametrize(("album", "code", "said", "never"), STORIES)
async def test_the_student_screen_says_what_to_do(make_app, service_ctx, album: str, code: str | None,
                                                  said: list[str], never: list[str]) -> None:
    from mleg_tui.services.students import student_view

    view = student_view(service_ctx, album=album)
    if code is not None:
        assert [s.code for s in view.next_steps] == [code]
    app = make_app(role="viewer")
    async with app.run_test(size=BIG) as pilot:
        await loaded(pilot)
        await open_student(pilot, album)
        text = flat(screen_text(app))
    for step in view.next_steps:
        assert f"Co zrobić: {flat(step.text)}" in text
    for reason in view.verdict.reasons:
        step_text = view.step_for(reason.code)
        if step_text:
            assert f"co zrobić: {flat(step_text)}" in text
    for words in said:
        assert words in text
    for words in never:
        assert words not in text


def _ctx_on(db: Path | str, when: str) -> Context:
    return open_context(Settings(db=str(db), today=when, login="tester"), role="admin")


@pytest.fixture
def expired_card(db: Path | str, tmp_path: Path) -> dict[str, str]:
    """A student whose card (picked up in spring, valid until 31.10.2025) ran out, and
    who ordered again on 19.11.2025 and cancelled; the demo's day is 20.11.2025."""
    from mleg_tui.services import actions

    spring = _ctx_on(db, "2025-04-01T10:00:00")
    import_rows(spring, tmp_path, enrolment("PX1", "300001", "Iga", "Testowa"))
    card = actions.place_order(spring, "300001")
    mc_moves(spring, card.order_id, S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA)
    again = actions.place_order(_ctx_on(db, "2025-11-19T09:00:00"), "300001")
    actions.cancel_order(_ctx_on(db, "2025-11-19T09:05:00"), "300001", order_id=again.order_id)
    return {"card": card.order_ref, "again": again.order_ref}


async def test_a_card_past_its_expiry_is_not_the_current_order(make_app, expired_card) -> None:
    app = make_app(role="viewer")
    async with app.run_test(size=BIG) as pilot:
        await loaded(pilot)
        await open_student(pilot, "300001")
        text = flat(screen_text(app))
    assert f"Bieżące zamówienie {expired_card['again']}: ANULOWANE PRZEZ UŻYTKOWNIKA" in text
    assert f"{expired_card['card']} · Odebrana (wygasła) · zamówione 1.04.2025, 10:00 · " \
           "Data ważności (wygasła): 31.10.2025" in text
    # A cancelled order shows no validity date (figure 9), in its history header too.
    head = text.split(f"{expired_card['again']} · ", 1)[1].split(" 19.11.2025, 09:00:00")[0]
    assert "ważn" not in head, head
    assert "Co zrobić: Student może zamówić mLegitymację" in text


@pytest.mark.parametrize(("size", "shown"), [((120, 40), "Odebrana (wygasła)"), ((80, 24), "Wygasła")])
async def test_the_order_list_marks_an_expired_card(make_app, expired_card, size, shown: str) -> None:
    from mleg_tui.widgets.order_table import OrderTable

    app = make_app(role="viewer")
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        if size[0] >= 120:
            await pilot.press("p")  # the table alone (the student pane says it in its own words)
        await pilot.press("slash", *"300001")
        table = app.screen.query_one(OrderTable)
        await until(pilot, lambda: table.total == 2, what="filtered")
        await settle(pilot)
        lines = [line for line in screen_text(app).splitlines() if "Testowa" in line]
    assert len(lines) == 2, lines
    card_line = next(line for line in lines if "2025-04-01" in line)
    assert f" {shown} " in card_line
    assert "Anulowane" in next(line for line in lines if line is not card_line)


async def test_help_tells_the_marks_and_what_to_do_about_each_reason(make_app) -> None:
    from mleg_tui.domain.advice import GENERAL_STEPS
    from mleg_tui.domain.status import Lapse

    app = make_app(role="viewer")
    async with app.run_test(size=(140, 120)) as pilot:
        await loaded(pilot)
        await pilot.press("f1")
        await until(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        await settle(pilot)
        text = flat(screen_text(app))
    assert "Odebrana (wygasła)" in text and "Do odbioru (kody wygasły)" in text
    for lapse in Lapse:
        assert flat(lapse.meaning) in text
    for step in GENERAL_STEPS.values():
        assert flat(step) in text
