"""The service layer every front end calls: the order list, the student view, the actions."""
from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mleg_tui.domain.events import Action, Actor
from mleg_tui.domain.status import IllegalTransition
from mleg_tui.domain.status import OrderStatus as S
from mleg_tui.errors import NotFound, UserError
from mleg_tui.services import actions
from mleg_tui.services.context import Context, Forbidden
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.orders import SORT_COLUMNS, count_orders, find_orders, iter_orders
from mleg_tui.services.status_change import StaleOrder, change_status
from mleg_tui.services.students import student_view
from mleg_tui.store import StoreError, writing
from mleg_tui.store.models import Order
from support.register import enrolment
from support.stores import BACKENDS, context_factory, import_rows, is_pg, isolate_env, mc_moves, pg_database, store_sql

D = dt.date


def sql(store: str, query: str, *params: object) -> list[tuple]:
    """What is in the store (either database), read from outside the program."""
    return store_sql(store, query, *params)


def place_at(make_ctx: Callable[..., Context], album: str, when: str) -> int:
    """Place an order as if the student clicked at `when` (office time)."""
    return actions.place_order(make_ctx(when), album).order_id


# --- a small office: figure 11's two orders and their neighbours -----------------------------

def build_office(ctx: Context, make_ctx: Callable[..., Context], directory: Path) -> dict[str, int]:
    import_rows(
        ctx, directory,
        enrolment("P1", "100001", "Łukasz", "Żółkiewski", birth_date="2001-07-21"),
        enrolment("P2", "1234336607", "Karolina", "Bachta"),
        enrolment("P3", "100010", "Anna", "Łącka"),
        enrolment("P4", "200001", "Jan", "Nowak", level="II"),
        enrolment("P5", "200002", "Zofia", "Adamska", level="JM"),
        enrolment("P6", "1000123", "Ewa", "Żak"),
    )
    o: dict[str, int] = {}
    o["lukasz_failed"] = place_at(make_ctx, "100001", "2025-08-01T10:00:00")
    mc_moves(ctx, o["lukasz_failed"], S.W_TRAKCIE, S.BLAD, error_code="PESEL_MISMATCH")
    o["lukasz_card"] = place_at(make_ctx, "100001", "2025-08-05T12:00:00")
    mc_moves(ctx, o["lukasz_card"], S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA)
    # Figure 11: ordered 22:18:34, cancelled; ordered again 22:20:32, ready.
    o["karolina_cancelled"] = place_at(make_ctx, "1234336607", "2025-09-03T22:18:34")
    actions.cancel_order(make_ctx("2025-09-03T22:19:00"), "1234336607")
    o["karolina_ready"] = place_at(make_ctx, "1234336607", "2025-09-03T22:20:32")
    mc_moves(ctx, o["karolina_ready"], S.W_TRAKCIE, S.DO_ODBIORU)
    o["anna_waiting"] = place_at(make_ctx, "100010", "2025-09-02T23:30:00")  # 21:30 UTC
    o["jan_at_mc"] = place_at(make_ctx, "200001", "2025-09-03T00:30:00")  # 2.09 22:30 UTC
    mc_moves(ctx, o["jan_at_mc"], S.W_TRAKCIE)
    o["zofia_revoked"] = place_at(make_ctx, "200002", "2025-07-01T09:00:00")
    actions.revoke_orders(make_ctx("2025-07-02T09:00:00"), [o["zofia_revoked"]], "skreślenie SKR-102")
    o["ewa_failed"] = place_at(make_ctx, "1000123", "2025-06-15T08:00:00")
    mc_moves(ctx, o["ewa_failed"], S.BLAD, error_code="PHOTO_REJECTED")
    return o


@pytest.fixture(scope="module", params=BACKENDS)
def shared_office(request: pytest.FixtureRequest,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Context, dict[str, int]]]:
    """One office store for the tests that only read it, on each database."""
    directory = tmp_path_factory.mktemp("office")
    with contextlib.ExitStack() as stack:
        store: str = (stack.enter_context(pg_database(request)) if request.param == "postgresql"
                      else str(directory / "store.db"))
        with pytest.MonkeyPatch.context() as mp:
            isolate_env(mp, directory)
            make = context_factory(store)
            ctx = make()
            office = build_office(ctx, make, directory)
        yield ctx, office
        ctx.engine.dispose()


@pytest.fixture
def reader(shared_office: tuple[Context, dict[str, int]]) -> Context:
    return shared_office[0]


@pytest.fixture
def office(shared_office: tuple[Context, dict[str, int]]) -> dict[str, int]:
    return shared_office[1]


@pytest.fixture
def own_office(ctx: Context, make_ctx, tmp_path: Path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The office on the test's own store (`ctx`), for tests that change it."""
    return build_office(ctx, make_ctx, tmp_path)


def ids(ctx: Context, **query: object) -> set[int]:
    q = OrderQuery(**query)  # type: ignore[arg-type]
    rows = find_orders(ctx, q, limit=100)
    assert count_orders(ctx, q) == len(rows)
    return {r.id for r in rows}


# --- find orders -----------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["lukasz", "LUKASZ", "Łukasz", "żółkiewski", "zolk", "łukasz żółk",
                                  "zolkiewski lukasz", "  Lukasz   Zolkiewski  "])
def test_text_filter_ignores_case_and_diacritics_and_word_order(reader: Context, office, text: str):  # type: ignore[no-untyped-def]
    assert ids(reader, text=text) == {office["lukasz_failed"], office["lukasz_card"]}


def test_text_filter_every_word_must_match(reader: Context, office):  # type: ignore[no-untyped-def]
    assert ids(reader, text="karolina nowak") == set()
    assert ids(reader, text="lacka") == {office["anna_waiting"]}
    assert ids(reader, text="a") == set(office.values())  # every name here has an "a"


def test_text_filter_album_number_is_a_prefix(reader: Context, office):  # type: ignore[no-untyped-def]
    assert ids(reader, text="1234336607") == {office["karolina_cancelled"], office["karolina_ready"]}
    assert ids(reader, text="1000") == {office["lukasz_failed"], office["lukasz_card"],
                                     office["anna_waiting"], office["ewa_failed"]}
    assert ids(reader, text="0001") == set()  # inside 200001, but not its start
    assert ids(reader, text="200") == {office["jan_at_mc"], office["zofia_revoked"]}


@pytest.mark.parametrize("text", ["%", "_", "\\", "a%", "_ak"])
def test_text_filter_wildcards_are_plain_characters(reader: Context, office, text: str):  # type: ignore[no-untyped-def]
    assert ids(reader, text=text) == set()


def test_order_date_from_to_in_office_time(reader: Context, office):  # type: ignore[no-untyped-def]
    # Jan ordered at 00:30 on 3.09 (22:30 UTC on 2.09); Anna at 23:30 on 2.09 (21:30 UTC).
    on_3_09 = ids(reader, date_from=D(2025, 9, 3), date_to=D(2025, 9, 3))
    assert on_3_09 == {office["karolina_cancelled"], office["karolina_ready"], office["jan_at_mc"]}
    assert ids(reader, date_from=D(2025, 9, 2), date_to=D(2025, 9, 2)) == {office["anna_waiting"]}
    assert ids(reader, date_to=D(2025, 7, 1)) == {office["zofia_revoked"], office["ewa_failed"]}
    assert ids(reader, date_from=D(2025, 9, 4)) == set()
    assert ids(reader, date_from=D(2025, 8, 1), date_to=D(2025, 8, 31)) == {
        office["lukasz_failed"], office["lukasz_card"]}


def test_status_filter(reader: Context, office):  # type: ignore[no-untyped-def]
    assert ids(reader, statuses=frozenset({S.BLAD})) == {office["lukasz_failed"], office["ewa_failed"]}
    assert ids(reader, statuses=frozenset({S.OCZEKUJE, S.W_TRAKCIE})) == {office["anna_waiting"], office["jan_at_mc"]}
    assert ids(reader, statuses=frozenset({S.UNIEWAZNIONE_PRZEZ_UCZELNIE})) == {office["zofia_revoked"]}
    assert ids(reader, statuses=frozenset({S.BLAD}), text="zak") == {office["ewa_failed"]}


def test_error_code_filter_any_case_and_by_prefix(reader: Context, office):  # type: ignore[no-untyped-def]
    assert ids(reader, error_code="photo_rejected") == {office["ewa_failed"]}
    assert ids(reader, error_code=" PESEL_MISMATCH ") == {office["lukasz_failed"]}
    assert ids(reader, error_code="PESEL") == {office["lukasz_failed"]}  # the start of a code
    assert ids(reader, error_code="P") == {office["lukasz_failed"], office["ewa_failed"]}
    assert ids(reader, error_code="PESEL%") == set()  # % and _ are letters here, not wildcards
    assert ids(reader, error_code="PESEL_") == {office["lukasz_failed"]}
    assert ids(reader, error_code="PESELX") == set()


def test_rows_carry_what_figure_11_shows(reader: Context, office):  # type: ignore[no-untyped-def]
    rows = find_orders(reader, OrderQuery(text="bachta"))
    assert [(r.lp, r.person, r.album, f"{r.ordered_at:%Y-%m-%d %H:%M:%S}", r.status.label,
             r.expiry_date.isoformat(), r.error_code) for r in rows] == [
        (1, "Karolina Bachta", "1234336607", "2025-09-03 22:20:32", "Do odbioru", "2025-10-31", ""),
        (2, "Karolina Bachta", "1234336607", "2025-09-03 22:18:34", "Anulowane przez użytkownika",
         "2025-10-31", ""),
    ]


SURNAME_ORDER = ["Adamska", "Bachta", "Bachta", "Łącka", "Nowak", "Żak", "Żółkiewski", "Żółkiewski"]


def visible_key(sort: str, r) -> tuple:  # type: ignore[no-untyped-def]
    """What a user sees sorted, per sort key (ties fall back to the order's id)."""
    return {
        "person": (SURNAME_ORDER.index(r.person.split()[-1]),),
        "album": (r.album,),
        "ordered_at": (r.ordered_at,),
        "status": (r.status.value, r.ordered_at),
        "expiry": (r.expiry_date,),
        "error_code": (r.error_code,),
    }[sort] + (r.id,)


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("sort", list(SORT_COLUMNS))
def test_every_sort_key_both_ways(reader: Context, office, sort: str, descending: bool):  # type: ignore[no-untyped-def]
    rows = find_orders(reader, OrderQuery(sort=sort, descending=descending), limit=100)  # type: ignore[arg-type]
    assert len(rows) == len(office)
    keys = [visible_key(sort, r) for r in rows]
    assert keys == sorted(keys, reverse=descending)
    assert [r.lp for r in rows] == list(range(1, len(rows) + 1))


def test_people_sort_by_surname_with_polish_letters_among_their_base_letters(reader: Context, office):  # type: ignore[no-untyped-def]
    rows = find_orders(reader, OrderQuery(sort="person", descending=False))
    assert [r.person.split()[-1] for r in rows] == SURNAME_ORDER


@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
@pytest.mark.parametrize("sort", list(SORT_COLUMNS))
def test_keyset_paging_after_and_before_gives_the_same_rows_as_offset_paging(
    reader: Context, office, sort: str, descending: bool  # type: ignore[no-untyped-def]
):
    q = OrderQuery(sort=sort, descending=descending)  # type: ignore[arg-type]
    total = count_orders(reader, q)
    by_offset = [find_orders(reader, q, limit=3, offset=o) for o in range(0, total, 3)]
    forward, page = [], find_orders(reader, q, limit=3)
    while page:
        forward.append(page)
        page = find_orders(reader, q, limit=3, after=page[-1].key, after_lp=page[-1].lp)
    assert [[(r.lp, r.id) for r in p] for p in forward] == [[(r.lp, r.id) for r in p] for p in by_offset]
    # And back from the end, a page at a time.
    backward, page = [], forward[-1]
    while page[0].lp > 1:
        page = find_orders(reader, q, limit=3, before=page[0].key, before_lp=page[0].lp)
        backward.insert(0, page)
    flat_back = [(r.lp, r.id) for p in backward + [forward[-1]] for r in p]
    assert flat_back == [(r.lp, r.id) for p in by_offset for r in p]
    assert [r.id for r in iter_orders(reader, q, chunk=2)] == [r.id for p in by_offset for r in p]


def test_count_is_of_all_matching_rows_not_of_the_window(reader: Context, office):  # type: ignore[no-untyped-def]
    q = OrderQuery(text="1000")
    assert len(find_orders(reader, q, limit=2)) == 2
    assert count_orders(reader, q) == 4
    assert count_orders(reader, OrderQuery()) == len(office)


# --- the student view ----------------------------------------------------------------------

def test_student_view_tells_the_whole_story(reader: Context, office):  # type: ignore[no-untyped-def]
    v = student_view(reader, album="1234336607")
    assert v.name == "Karolina Bachta" and v.album == "1234336607"
    assert v.pesel_masked is not None and v.pesel_masked.startswith("*******")
    assert [p.code for p in v.programmes] == ["INF-S1"]
    assert not v.verdict.eligible  # an order is ready for pick-up
    assert [r.code for r in v.verdict.reasons] == ["ORDER_IN_PROGRESS"]
    assert v.verdict.planned_expiry == D(2025, 10, 31)
    assert [o.id for o in v.orders] == [office["karolina_ready"], office["karolina_cancelled"]]  # newest first
    ready, cancelled = v.orders
    assert [(e.action, e.old_status, e.new_status) for e in ready.events] == [
        (Action.PLACED, None, S.OCZEKUJE),
        (Action.SUBMITTED, S.OCZEKUJE, S.W_TRAKCIE),
        (Action.MC_STATUS, S.W_TRAKCIE, S.DO_ODBIORU),
    ]
    assert cancelled.status is S.ANULOWANE_PRZEZ_UZYTKOWNIKA
    assert cancelled.events[-1].reason == "na prośbę studenta"
    assert f"{cancelled.ordered_at:%d.%m.%Y %H:%M}" == "03.09.2025 22:18"
    assert v.current is ready
    same = student_view(reader, person_id=v.person_id)
    assert same.as_json() == v.as_json()


def test_student_view_of_an_unknown_album(reader: Context, office):  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound, match="Nie ma studenta o numerze albumu 999999"):
        student_view(reader, album="999999")
    with pytest.raises(NotFound):
        student_view(reader, album="  ")


# --- placing, cancelling, revoking -----------------------------------------------------------

def test_place_order_for_an_eligible_student(ctx: Context, add_students, store_url: str):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    r = actions.place_order(ctx, "100001")
    assert r.status is S.OCZEKUJE and not r.pending
    assert "31.10.2025" in r.message and r.order_ref == f"UCZ-{r.order_id:06d}"
    v = student_view(ctx, album="100001")
    (order,) = v.orders
    assert order.planned_expiry == order.expiry_date == D(2025, 10, 31)
    assert order.ordered_at.date() == D(2025, 9, 3)
    (event,) = order.events
    assert (event.action, event.old_status, event.new_status, event.actor_kind, event.actor) == (
        Action.PLACED, None, S.OCZEKUJE, Actor.STUDENT, "tester")


def test_place_is_refused_with_every_reason_and_writes_nothing(
    ctx: Context, add_students, store_url: str  # type: ignore[no-untyped-def]
):
    add_students(enrolment("P1", "100001"))
    actions.place_order(ctx, "100001")
    # The register now says: doctoral only, no PESEL, no photo.
    add_students(enrolment("P1", "100001", pesel=None, has_photo="nie", level="DR"))
    before = sql(store_url, "SELECT count(*) FROM orders"), sql(store_url, "SELECT count(*) FROM order_event")
    with pytest.raises(actions.NotEligible) as info:
        actions.place_order(ctx, "100001")
    message = str(info.value)
    assert message.startswith("Karolina Bachta (100001): Nie możesz zamówić mLegitymacji z następujących powodów:")
    for text in ("nie masz uprawnień do mLegitymacji na żadnym z Twoich programów", "brak numeru PESEL",
                 "brak zdjęcia", "masz zamówienie w realizacji"):
        assert text in message
    after = sql(store_url, "SELECT count(*) FROM orders"), sql(store_url, "SELECT count(*) FROM order_event")
    assert after == before


def test_place_for_an_unknown_album(ctx: Context, add_students):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    with pytest.raises(NotFound, match="555"):
        actions.place_order(ctx, "555")


def test_fig16_17_renewal_order_beside_the_picked_up_card(ctx: Context, make_ctx, add_students):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001", planned_end_date="2025-10-31"))
    card = actions.place_order(make_ctx("2025-04-01T10:00:00"), "100001").order_id
    mc_moves(ctx, card, S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA)  # valid until 31.10.2025
    with pytest.raises(actions.NotEligible, match="masz ważną mLegitymację"):
        actions.place_order(make_ctx("2025-09-30"), "100001")  # 31 days left
    second = actions.place_order(make_ctx("2025-10-01"), "100001")  # 30 days left
    assert second.status is S.OCZEKUJE
    statuses = [o.status for o in student_view(ctx, album="100001").orders]
    assert statuses == [S.OCZEKUJE, S.ODEBRANA]  # the old card was not cancelled


def test_fig17_with_a_card_and_a_renewal_order_cancel_asks_which(ctx: Context, make_ctx, add_students):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001", planned_end_date="2025-10-31"))
    card = actions.place_order(make_ctx("2025-04-01T10:00:00"), "100001").order_id
    mc_moves(ctx, card, S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA)
    renewal = actions.place_order(make_ctx("2025-10-10"), "100001").order_id
    with pytest.raises(UserError, match="kilka żywych zamówień") as info:
        actions.cancel_order(ctx, "100001")
    assert str(card) in str(info.value) and str(renewal) in str(info.value)
    r = actions.cancel_order(ctx, "100001", order_id=renewal)
    assert (r.order_id, r.status) == (renewal, S.ANULOWANE_PRZEZ_UZYTKOWNIKA)
    with pytest.raises(NotFound):
        actions.cancel_order(ctx, "100001", order_id=renewal)  # ended already


def test_revealing_an_activation_code_is_recorded(ctx: Context, make_ctx, add_students):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    oid = actions.place_order(ctx, "100001").order_id
    with pytest.raises(UserError, match="nie ma kodu aktywacyjnego"):
        actions.reveal_activation_code(ctx, oid)
    with writing(ctx.engine) as s:
        order = s.get(Order, oid)
        assert order is not None
        change_status(s, order, S.W_TRAKCIE, ctx.clock.now(), Action.SUBMITTED, Actor.MC, "", mc_id="m1")
        change_status(s, order, S.DO_ODBIORU, ctx.clock.now(), Action.MC_STATUS, Actor.MC, "",
                      qr_code="87aa907615be4d5e81767a4575b92725", activation_code="123456")
    with pytest.raises(Forbidden):
        actions.reveal_activation_code(make_ctx(role="viewer"), oid)
    assert actions.reveal_activation_code(ctx, oid) == "123456"
    (order_view,) = student_view(ctx, album="100001").orders
    assert order_view.qr_code == "87aa907615be4d5e81767a4575b92725"  # figure 10
    assert (order_view.events[-1].action, order_view.events[-1].actor) == (Action.CODE_REVEALED, "tester")
    assert [e.action for e in order_view.events].count(Action.CODE_REVEALED) == 1


def test_fig9_cancel_an_order_mc_has_not_seen(ctx: Context, add_students):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    placed = actions.place_order(ctx, "100001")
    r = actions.cancel_order(ctx, "100001")
    assert (r.order_id, r.old_status, r.status, r.pending) == (
        placed.order_id, S.OCZEKUJE, S.ANULOWANE_PRZEZ_UZYTKOWNIKA, False)
    (order,) = student_view(ctx, album="100001").orders
    assert order.status is S.ANULOWANE_PRZEZ_UZYTKOWNIKA
    assert [(e.action, e.new_status, e.reason) for e in order.events][-1] == (
        Action.CANCELLED, S.ANULOWANE_PRZEZ_UZYTKOWNIKA, "na prośbę studenta")
    assert student_view(ctx, album="100001").verdict.eligible  # figure 9: may order again
    with pytest.raises(NotFound, match="nie ma zamówienia ani mLegitymacji do anulowania"):
        actions.cancel_order(ctx, "100001")


def test_fig17_cancelling_a_picked_up_card_waits_for_mc(ctx: Context, add_students):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    oid = actions.place_order(ctx, "100001").order_id
    mc_moves(ctx, oid, S.W_TRAKCIE, S.DO_ODBIORU, S.ODEBRANA)
    r = actions.cancel_order(ctx, "100001", reason="zmiana telefonu")
    assert r.pending and r.status is S.ODEBRANA
    (order,) = student_view(ctx, album="100001").orders
    assert order.status is S.ODEBRANA and order.pending_action == "CANCEL"
    assert order.pending_reason == "zmiana telefonu"
    assert (order.events[-1].action, order.events[-1].new_status) == (Action.CANCEL_PENDING, None)


def test_revoke_needs_a_reason_and_changes_nothing_without_one(ctx: Context, add_students, store_url: str):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    oid = actions.place_order(ctx, "100001").order_id
    for reason in ("", "   "):
        with pytest.raises(UserError, match="Podaj powód unieważnienia"):
            actions.revoke_orders(ctx, [oid], reason)
        with pytest.raises(UserError, match="Podaj powód unieważnienia"):
            actions.revoke_student(ctx, "100001", reason)
    assert sql(store_url, "SELECT status, version FROM orders") == [("OCZEKUJE", 1)]
    assert sql(store_url, "SELECT count(*) FROM order_event") == [(1,)]


def test_revoke_an_order_mc_has_not_seen_ends_it_at_once(ctx: Context, add_students):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    actions.place_order(ctx, "100001")
    (r,) = actions.revoke_student(ctx, "100001", "  skreślenie   SKR-102 ")
    assert (r.old_status, r.status, r.pending) == (S.OCZEKUJE, S.UNIEWAZNIONE_PRZEZ_UCZELNIE, False)
    (order,) = student_view(ctx, album="100001").orders
    last = order.events[-1]
    assert (last.action, last.old_status, last.new_status, last.actor_kind, last.actor, last.reason) == (
        Action.REVOKED, S.OCZEKUJE, S.UNIEWAZNIONE_PRZEZ_UCZELNIE, Actor.STAFF, "tester", "skreślenie SKR-102")
    with pytest.raises(NotFound, match="nie ma zamówienia ani mLegitymacji do unieważnienia"):
        actions.revoke_student(ctx, "100001", "again")


def test_revoke_of_a_submitted_order_becomes_pending(ctx: Context, own_office):  # type: ignore[no-untyped-def]
    (r,) = actions.revoke_student(ctx, "200001", "skreślenie SKR-102")
    assert r.pending and r.status is S.W_TRAKCIE and "czeka na potwierdzenie MC" in r.message
    (order,) = student_view(ctx, album="200001").orders
    assert order.status is S.W_TRAKCIE
    assert (order.pending_action, order.pending_reason) == ("REVOKE", "skreślenie SKR-102")
    assert (order.events[-1].action, order.events[-1].reason) == (Action.REVOKE_PENDING, "skreślenie SKR-102")
    (row,) = find_orders(ctx, OrderQuery(text="200001"))
    assert row.pending_action == "REVOKE"  # the list marks it
    (again,) = actions.revoke_student(ctx, "200001", "skreślenie SKR-102")
    assert again.pending and "już czeka" in again.message
    assert len(student_view(ctx, album="200001").orders[0].events) == len(order.events)  # no new event
    with pytest.raises(UserError, match="czeka już na unieważnienie"):
        actions.cancel_order(ctx, "200001")


def test_illegal_transition_raises_and_changes_nothing(ctx: Context, own_office, store_url: str):  # type: ignore[no-untyped-def]
    failed = own_office["ewa_failed"]
    before = sql(store_url, "SELECT * FROM orders ORDER BY id"), sql(store_url, "SELECT count(*) FROM order_event")
    with pytest.raises(IllegalTransition, match="Błąd → W trakcie"):
        mc_moves(ctx, failed, S.W_TRAKCIE)
    # A batch with one order that cannot be revoked: the others are not revoked either.
    with pytest.raises(IllegalTransition):
        actions.revoke_orders(ctx, [own_office["anna_waiting"], failed], "skreślenie")
    after = sql(store_url, "SELECT * FROM orders ORDER BY id"), sql(store_url, "SELECT count(*) FROM order_event")
    assert after == before


def test_optimistic_version_check_raises_stale_order(ctx: Context, make_ctx, own_office, store_url: str):  # type: ignore[no-untyped-def]
    # Ewa's screen shows Jan's order (version v); meanwhile Jan's colleague revokes it.
    oid = own_office["jan_at_mc"]
    seen = {oid: student_view(ctx, album="200001").orders[0].version}
    other = make_ctx(login="marek")
    actions.revoke_orders(other, [oid], "skreślenie (Marek)")
    before = (sql(store_url, "SELECT * FROM orders WHERE id = ?", oid),
              sql(store_url, "SELECT count(*) FROM order_event"))
    with pytest.raises(StaleOrder, match="zmieniło się w międzyczasie"):
        actions.revoke_orders(ctx, [oid], "skreślenie (Ewa)", versions=seen)
    after = (sql(store_url, "SELECT * FROM orders WHERE id = ?", oid),
             sql(store_url, "SELECT count(*) FROM order_event"))
    assert after == before


def test_change_with_a_stale_object_is_refused_by_the_version(ctx: Context, own_office, store_url: str):  # type: ignore[no-untyped-def]
    with writing(ctx.engine) as s:
        stale = s.get(Order, own_office["anna_waiting"])
        assert stale is not None
    mc_moves(ctx, own_office["anna_waiting"], S.W_TRAKCIE)  # someone else moved it on
    with pytest.raises(StaleOrder):
        with writing(ctx.engine) as s:
            s.add(stale)
            change_status(s, stale, S.BLAD, ctx.clock.now(), Action.MC_STATUS, Actor.MC, "")
    assert sql(store_url, "SELECT status FROM orders WHERE id = ?", own_office["anna_waiting"]) == [("W_TRAKCIE",)]


# --- every action and its event: one transaction ---------------------------------------------

def fail_on(store: str, table: str, op: str) -> None:
    """A database fault: every `op` on `table` aborts (a full disk, a dropped connection...)."""
    if is_pg(store):
        sql(store, "CREATE OR REPLACE FUNCTION simulated_fault() RETURNS trigger LANGUAGE plpgsql "
                   "AS $$ BEGIN RAISE EXCEPTION 'simulated fault'; END $$")
        sql(store, f"CREATE TRIGGER fault_{table}_{op} BEFORE {op} ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION simulated_fault()")
        return
    sql(store, f"CREATE TRIGGER fault_{table}_{op} BEFORE {op} ON {table} "
               "BEGIN SELECT RAISE(ABORT, 'simulated fault'); END")


def state(path: Path) -> tuple:
    return (sql(path, "SELECT * FROM orders ORDER BY id"), sql(path, "SELECT * FROM order_event ORDER BY id"))


@pytest.mark.parametrize("action", ["place", "cancel", "revoke", "revoke_pending", "cancel_pending"])
def test_a_change_whose_event_cannot_be_written_is_not_made(ctx: Context, add_students, store_url: str, action: str):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    if action != "place":
        oid = actions.place_order(ctx, "100001").order_id
        if action.endswith("pending"):
            mc_moves(ctx, oid, S.W_TRAKCIE)
    before = state(store_url)
    fail_on(store_url, "order_event", "INSERT")
    run = {
        "place": lambda: actions.place_order(ctx, "100001"),
        "cancel": lambda: actions.cancel_order(ctx, "100001"),
        "cancel_pending": lambda: actions.cancel_order(ctx, "100001"),
        "revoke": lambda: actions.revoke_student(ctx, "100001", "skreślenie"),
        "revoke_pending": lambda: actions.revoke_student(ctx, "100001", "skreślenie"),
    }[action]
    with pytest.raises(StoreError) as info:  # one line for the user; the fault underneath
        run()
    assert "simulated fault" in str(info.value.__context__)
    assert state(store_url) == before


def test_an_event_is_not_written_when_its_change_fails(ctx: Context, add_students, store_url: str):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    actions.place_order(ctx, "100001")
    before = state(store_url)
    fail_on(store_url, "orders", "UPDATE")
    with pytest.raises(StoreError) as info:
        actions.revoke_student(ctx, "100001", "skreślenie")
    assert "simulated fault" in str(info.value.__context__)
    assert state(store_url) == before


def test_a_viewer_may_not_act(make_ctx, add_students, ctx: Context, store_url: str):  # type: ignore[no-untyped-def]
    add_students(enrolment("P1", "100001"))
    viewer = make_ctx(role="viewer", login="gosia")
    with pytest.raises(Forbidden, match="gosia"):
        actions.place_order(viewer, "100001")
    oid = actions.place_order(ctx, "100001").order_id
    with pytest.raises(Forbidden):
        actions.revoke_orders(viewer, [oid], "skreślenie")
    with pytest.raises(Forbidden):
        actions.cancel_order(viewer, "100001")
    assert sql(store_url, "SELECT status FROM orders") == [("OCZEKUJE",)]
