"""The filter of figure 11: what the lookup takes (name, album number, PESEL, order
reference, QR text), order date from/to, status, error code (its start, or one picked from
the list of the codes in the store: ↓ in its field).

Typing filters live, at each key; a date that is not a date is marked in place (after a
pause in typing) and left out of the filter with a message saying so, never an exception.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from mleg_tui import give_way
from mleg_tui.domain.dates import parse_date
from mleg_tui.domain.status import FINAL, LIVE, OrderStatus
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.typeahead import TypeAhead
from mleg_tui.widgets.fmt import CONTROL_MARKS, literal
from mleg_tui.widgets.textual_pl import Select

if TYPE_CHECKING:
    from mleg_tui.services.overview_types import OrderSet

DATE_PAUSE = 0.3  # seconds after the last key before a date being typed is marked as wrong
FIELDS_AT_MOST = 0.5  # seconds from the start to the fields, should the list's rows not come

TEXT_TAKES = ("Nazwisko i imię (w dowolnej kolejności, wystarczą początki, polskie znaki "
              "niepotrzebne), początek numeru albumu, cały PESEL, numer zamówienia albo tekst kodu QR")

STATUS_CHOICES: dict[str, frozenset[OrderStatus]] = {
    "all": frozenset(),
    "live": LIVE,
    "final": FINAL,
    **{s.value: frozenset({s}) for s in OrderStatus},
}
# Short words, as in the table at 80 columns, so the list never wraps.
STATUS_OPTIONS = [
    ("wszystkie", "all"),
    ("aktywne", "live"),
    ("zakończone", "final"),
    *((s.short_label, s.value) for s in OrderStatus),
]


class FilterBar(Widget):
    """Two lines of fields, plus a third for problems with the dates. It announces what the
    clerk asked for as an OrderQuery; the sort in it stays the default (the list's keys sort)."""

    DEFAULT_CSS = """
    FilterBar { height: auto; min-height: 2; padding: 0 1; }
    FilterBar Horizontal { height: 1; }
    FilterBar Label { padding: 0 1 0 0; }
    FilterBar .gap { padding: 0 1 0 2; }
    FilterBar #f-text { width: 1fr; }
    FilterBar #f-status { width: 20; }
    FilterBar .date { width: 12; }
    FilterBar #f-err { width: 1fr; max-width: 24; }
    FilterBar Input { padding: 0 1; background: $boost; }
    FilterBar Input:focus { background: $primary 30%; }
    FilterBar Input.-invalid { background: $error 40%; text-style: underline; }
    FilterBar #f-problem { display: none; color: $text-error; }
    FilterBar #f-problem.-shown { display: block; }
    FilterBar #f-set { display: none; text-style: bold; color: $text-accent; }
    FilterBar #f-set.-shown { display: block; }
    """

    BINDINGS = [
        Binding("escape", "leave", "Do listy", id="filter.leave",
                tooltip="Wróć z filtru do listy (Enter też)"),
        Binding("down", "error_codes", "Lista kodów", id="filter.error_codes", show=False,
                tooltip="W polu kodu błędu: lista kodów w bazie z liczbą zamówień"),
    ]

    @dataclass
    class Changed(Message):
        """The filter changed: what the list should show now."""

        query: OrderQuery

    class Leave(Message):
        """Enter or Esc in a field: back to the table."""

    class ErrorCodesWanted(Message):
        """↓ in the code field: the list of codes to pick from."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self._timer: Timer | None = None
        self._said = ""  # the problem line's text
        self._picked = ""  # the code last picked from the list: while the field holds it, whole
        self.current = OrderQuery()
        self.order_set: OrderSet | None = None  # from the overview: not a field, but shown
        self._built = self._ready = False  # the fields are in the tree / mounted (see build)
        self._when_ready: list[Callable[[], object]] = []

    # -- the fields, after the first rows ------------------------------------------------------
    # Four inputs and a dropdown are a tenth of the first screen's time (25 ms, measured in
    # a real terminal): the list's first rows are shown without them, and they are mounted
    # right after (`build`, called by the list once its first rows are drawn; at the latest
    # FIELDS_AT_MOST after the start), in the two lines kept for them. Whatever needs them
    # meanwhile builds them at once; what needs them mounted (the focus, a paste) runs once
    # they are, the keys typed meanwhile waiting (typeahead), so none goes past them.
    def on_mount(self) -> None:
        self.set_timer(FIELDS_AT_MOST, self.build)

    def render(self) -> str:
        return ""  # the two lines are empty until the fields come (not Textual's "FilterBar#filter")

    def build(self) -> None:
        if self._built or not self.is_attached:  # (not once the app closed: it is gone)
            return
        self._built = True
        give_way.busy()  # 40-100 ms of mounting: the store's opening waits meanwhile
        app = self.app
        hold = app.hold_keys("the filter's fields") if isinstance(app, TypeAhead) else None
        mounted = self.mount(FilterFields())

        async def ready() -> None:
            await mounted
            self._ready = True
            for fn in self._when_ready:
                fn()
            self._when_ready.clear()
            if hold is not None and isinstance(app, TypeAhead):
                app.call_later(app.release_keys, hold)  # after the focus those asked for

        self.call_later(ready)

    def _once_ready(self, fn: Callable[[], object]) -> None:
        self.build()
        if self._ready:
            fn()
        else:
            self._when_ready.append(fn)

    def pick_code(self, code: str) -> None:
        """A code chosen from the list: the filter shows the orders with that code, whole."""
        self._once_ready(lambda: self._pick_code(code))

    def _pick_code(self, code: str) -> None:
        self._picked = code
        self.query_one("#f-err", Input).value = code
        self.apply()

    def action_error_codes(self) -> None:
        self.post_message(self.ErrorCodesWanted())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "error_codes":  # ↓ means the list in the code field alone
            return self._ready and self.screen.focused is self.query_one("#f-err", Input)
        return True

    def focus_text(self) -> None:
        self._once_ready(lambda: self.query_one("#f-text", Input).focus())

    def take_paste(self, text: str) -> None:
        """Text pasted over the list: a name or a number to look for, into the text field
        (its first line, in place of what was there), with the focus, so typing goes on there."""
        self._once_ready(lambda: self._paste(text))

    def _paste(self, text: str) -> None:
        field = self.query_one("#f-text", Input)
        lines = text.strip().splitlines()
        field.value = lines[0].strip() if lines else ""
        self.screen.set_focus(field)
        field.call_later(field.action_end)  # after the focus, which selects it all

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        """Each key filters at once (the list drops the rows of a key typed before); only a
        date still being typed waits for a pause before it is marked as not a date."""
        event.stop()
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if event.input.has_class("date") and not _date_or_empty(event.value):
            self._timer = self.set_timer(DATE_PAUSE, self.apply)
        else:
            self.apply()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply()
        self.post_message(self.Leave())

    @on(Select.Changed)
    def _chosen(self, event: Select.Changed) -> None:
        event.stop()
        self.apply()

    def has_text(self) -> bool:
        """Something is typed or chosen (a bad date, left out of the filter, counts too)."""
        if not self._ready:  # nothing could be typed yet
            return self.order_set is not None
        return (any(f.value.strip() for f in self.query(Input))
                or self.query_one("#f-status", Select).value != "all" or self.order_set is not None)

    def clear(self) -> None:
        """Every field empty and every status shown: the whole list again."""
        self._once_ready(self._clear)

    def _clear(self) -> None:
        for field_ in self.query(Input):
            field_.value = ""
            field_.remove_class("-invalid")
        self._picked = ""
        self.query_one("#f-status", Select).value = "all"
        self._set(None)
        self.apply()

    def show(self, query: OrderQuery) -> None:
        """Exactly `query` (a line of the overview): its dates and status in their fields,
        its set on a line of its own; the other fields empty."""
        self._once_ready(lambda: self._show(query))

    def _show(self, query: OrderQuery) -> None:
        from mleg_tui.domain.dates import pl_date

        for selector, value in (("#f-text", query.text), ("#f-from", pl_date(query.date_from)),
                                ("#f-to", pl_date(query.date_to)), ("#f-err", query.error_code)):
            field_ = self.query_one(selector, Input)
            field_.value = value
            field_.remove_class("-invalid")
        status = next((k for k, v in STATUS_CHOICES.items() if v == query.statuses), "all")
        self.query_one("#f-status", Select).value = status
        self._picked = query.error_code.strip().upper() if query.error_code_whole else ""
        self._set(query.set)
        self.apply()

    def _set(self, order_set: OrderSet | None) -> None:
        self.order_set = order_set
        line = self.query_one("#f-set", Static)
        line.update(literal(f"Zestaw z przeglądu: {order_set.label} · C: wyczyść filtr") if order_set else "")
        line.set_class(order_set is not None, "-shown")

    def action_leave(self) -> None:
        self.apply()
        self.post_message(self.Leave())

    def apply(self) -> None:
        """Read the fields, mark bad dates, and announce the filter if it changed."""
        self._once_ready(self._apply)

    def _apply(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        problems: list[str] = []
        date_from = self._date("#f-from", "Data od", problems)
        date_to = self._date("#f-to", "Data do", problems)
        if date_from and date_to and date_from > date_to:
            self.query_one("#f-to", Input).add_class("-invalid")
            problems.append("data „do” jest wcześniejsza niż „od”")
            date_to = None
        status = self.query_one("#f-status", Select).value
        code = self.query_one("#f-err", Input).value.strip().upper()
        new = OrderQuery(
            text=self.query_one("#f-text", Input).value.strip(),
            date_from=date_from,
            date_to=date_to,
            statuses=STATUS_CHOICES.get(str(status), frozenset()),
            error_code=code,
            error_code_whole=bool(code) and code == self._picked,
            set=self.order_set,
        )
        said = ("⚠ " + "; ".join(problems) + " — pominięto w filtrze.") if problems else ""
        if said != self._said:  # an update is a new layout of the whole screen: only if new
            self._said = said
            problem = self.query_one("#f-problem", Static)
            problem.update(literal(said))  # it quotes what was typed
            problem.set_class(bool(problems), "-shown")
        if new != self.current:
            self.current = new
            self.post_message(self.Changed(new))

    def _date(self, selector: str, name: str, problems: list[str]) -> dt.date | None:
        field_ = self.query_one(selector, Input)
        text = field_.value.strip()
        if not text:
            field_.remove_class("-invalid")
            return None
        try:
            day = parse_date(text)
        except ValueError as e:
            field_.add_class("-invalid")
            problems.append(f"{name}: {e}")
            return None
        field_.remove_class("-invalid")
        return day


class FilterFields(Widget):
    """The filter's fields, mounted after the first frame (see FilterBar.build): a widget
    of their own, composed as any (mounting them one by one raced the Select's own
    mounting: it looked for its label before it was there)."""

    DEFAULT_CSS = "FilterFields { height: auto; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label("Szukaj:")
            yield Input(id="f-text", placeholder="nazwisko, nr albumu, PESEL, nr zam., QR", compact=True,
                        highlighter=CONTROL_MARKS, tooltip=TEXT_TAKES)
            yield Label("Status:", classes="gap")
            yield Select(STATUS_OPTIONS, value="all", allow_blank=False, id="f-status", compact=True)
        with Horizontal():
            yield Label("Data zamówienia od:")
            yield Input(id="f-from", placeholder="dd.mm.rrrr", classes="date", max_length=10, compact=True,
                        highlighter=CONTROL_MARKS)
            yield Label("do:", classes="gap")
            yield Input(id="f-to", placeholder="dd.mm.rrrr", classes="date", max_length=10, compact=True,
                        highlighter=CONTROL_MARKS)
            yield Label("Kod błędu:", classes="gap")
            yield Input(id="f-err", placeholder="np. PESEL · ↓ lista", compact=True, highlighter=CONTROL_MARKS,
                        tooltip="Kod błędu MC albo jego początek (np. PESEL); ↓: lista kodów w bazie "
                                "z liczbą zamówień")
        yield Static(id="f-problem")
        yield Static(id="f-set")


def _date_or_empty(text: str) -> bool:
    try:
        parse_date(text.strip())
    except ValueError:
        return not text.strip()
    return True
