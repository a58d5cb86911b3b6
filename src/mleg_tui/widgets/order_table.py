"""The order list of figure 11 as a virtual table (Line API, like toolong's log view).

It never holds all orders: it asks for the window of rows around the viewport
(`WindowNeeded`), keeps what arrives in a small LRU cache keyed by position, and
draws only the visible lines. Windows next to a cached row are read by keyset
(`after`/`before` that row's key), others (a jump to the end) by offset.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from mleg_tui.domain.dates import LIST_DATE, LIST_DATETIME, LIST_MINUTES, list_date
from mleg_tui.domain.status import OrderStatus
from mleg_tui.domain.text import visible
from mleg_tui.services.list_types import SORT_KEYS, OrderRow, SortKey
from mleg_tui.widgets.fmt import clip, fit

CACHE_ROWS = 1000  # a few screens each way; a million-row store still costs ~1000 rows
MARGIN = 20  # rows read beyond the viewport, so scrolling a little never waits
MAX_FETCH = 200
ALBUM_W = 10
EXPIRY_W = 10
ERR_FULL = 22  # the longest code MC sends (DUPLICATE_ACTIVE_CARD) whole
ERR_NARROW, ERR_SHORTEST = 8, 4  # the start of a code ("PESEL_MI…"); below that, no column
PERSON_MIN = 17  # Osoba keeps this much at 80 columns (and beside the student pane)
PERSON_CAP = 36

SHORT_WIDTH = max(len(s.short_label) for s in OrderStatus)
FULL_WIDTH = max(len(s.label) for s in OrderStatus)


def status_part(status: OrderStatus) -> str:
    """A status cell's component class, after `order-table--`: status-do-odbioru."""
    return "status-" + status.value.lower().replace("_", "-")


def _status_rule(status: OrderStatus) -> str:
    bold = " text-style: bold;" if status.bold else ""
    return f"OrderTable > .order-table--{status_part(status)} {{ color: $text-{status.colour};{bold} }}"


@dataclass(frozen=True)
class Window:
    """A request for rows: positions [start, start+count) of the current list."""

    generation: int
    start: int
    count: int
    after: tuple[Any, ...] | None = None
    after_lp: int = 0
    before: tuple[Any, ...] | None = None
    before_lp: int = 0
    ahead: bool = False  # rows off screen, read ahead of need


class Shown(NamedTuple):
    """What the status line says: the visible range, the total, a visible row waiting for MC."""

    first: int
    last: int
    total: int | None
    pending: bool


class Layout(NamedTuple):
    lp: int
    person: int
    date_fmt: str
    date: int
    short: bool
    status: int
    expiry_head: str
    expiry: int
    err: int


# Narrowing steps, tried in order until Osoba keeps the step's minimum: Osoba shrinks
# first, then seconds go, then the long status labels, then long error codes (rare: only
# on failed orders; the student's view shows them whole), and last the time of day. At
# the last step the error code shrinks further, or goes, before Osoba gets under
# PERSON_MIN (a table beside the student pane; a long Lp. at a million orders).
_STEPS = (
    (LIST_DATETIME, 19, False, ERR_FULL, 24),
    (LIST_MINUTES, 16, False, ERR_FULL, PERSON_MIN),  # 120 columns: words and codes whole
    (LIST_MINUTES, 16, True, ERR_FULL, 20),
    (LIST_MINUTES, 16, True, ERR_NARROW, 18),
    (LIST_DATE, 10, True, ERR_NARROW, PERSON_MIN),
)


def _fixed_width(lp_w: int, date_w: int, short: bool, err_w: int) -> int:
    """Every column but Osoba, with the spaces between them."""
    status_w = (SHORT_WIDTH if short else FULL_WIDTH) + 1  # +1: the pending mark
    expiry_w = EXPIRY_W if short else len("Data ważności") + 1
    return 1 + lp_w + 1 + 1 + ALBUM_W + 1 + date_w + 1 + status_w + 1 + expiry_w + 1 + err_w


def compute_layout(width: int, lp_w: int) -> Layout:
    for step in _STEPS:
        fmt, date_w, short, err_w, person_min = step
        person = width - _fixed_width(lp_w, date_w, short, err_w)
        if person >= person_min:
            break
    else:
        err_w = max(0, err_w - (PERSON_MIN - person))
        if err_w < ERR_SHORTEST:
            err_w = 0
        person = width - _fixed_width(lp_w, date_w, short, err_w)
    if person > PERSON_CAP:  # a very wide terminal: the error codes get the room
        err_w = min(ERR_FULL, err_w + person - PERSON_CAP)
        person = PERSON_CAP
    status_w = (SHORT_WIDTH if short else FULL_WIDTH) + 1
    expiry_w = EXPIRY_W if short else len("Data ważności") + 1
    head = "Ważność" if short else "Data ważności"
    return Layout(lp_w, max(4, person), fmt, date_w, short, status_w, head, expiry_w, err_w)


def narrowest_width(lp_w: int) -> int:
    """The least width that keeps Osoba at PERSON_MIN (the error codes gone)."""
    _, date_w, short, _, _ = _STEPS[-1]
    return _fixed_width(lp_w, date_w, short, 0) + PERSON_MIN


class _Pass(NamedTuple):
    width: int
    base: Style
    layout: Layout
    style: Any  # name -> the component's Style


class OrderTable(ScrollView, can_focus=True):
    """Rows of orders; the screen feeds it windows of rows and the total."""

    NO_MATCH = "Brak zamówień spełniających warunki filtru."
    empty_text = NO_MATCH  # what an empty list says (the screen knows why it is empty)

    COMPONENT_CLASSES = {
        "order-table--header",
        "order-table--cursor",
        "order-table--marked",
        "order-table--placeholder",
        *(f"order-table--{status_part(s)}" for s in OrderStatus),
    }
    DEFAULT_CSS = """
    OrderTable {
        height: 1fr;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
    }
    OrderTable > .order-table--header { text-style: bold; background: $panel; }
    OrderTable > .order-table--cursor { background: $block-cursor-blurred-background; }
    OrderTable:focus > .order-table--cursor {
        background: $block-cursor-background;
        color: $block-cursor-foreground;
        text-style: bold;
    }
    OrderTable > .order-table--marked { background: $accent 20%; text-style: bold; }
    OrderTable > .order-table--placeholder { color: $text-muted; }
    """ + "\n".join(_status_rule(s) for s in OrderStatus)  # each status in its colour, words beside
    BINDINGS = [
        Binding("up,k", "move(-1)", "W górę", show=False, id="table.up"),
        Binding("down,j", "move(1)", "W dół", show=False, id="table.down"),
        Binding("pageup", "page(-1)", "Strona w górę", show=False, id="table.page_up"),
        Binding("pagedown", "page(1)", "Strona w dół", show=False, id="table.page_down"),
        Binding("home", "first", "Początek listy", show=False, id="table.first"),
        Binding("end", "last", "Koniec listy", show=False, id="table.last"),
        Binding("enter", "select", "Student", id="orders.open",
                tooltip="Pokaż studenta z bieżącego wiersza"),
    ]

    @dataclass
    class WindowNeeded(Message):
        """Rows to read: the screen reads them and hands them to put_rows."""

        window: Window

    @dataclass
    class Selected(Message):
        """Enter (or a double click) on a row."""

        row: OrderRow

    @dataclass
    class Moved(Message):
        """The visible range, total or cursor changed (for the status line and actions)."""

        first: int
        last: int
        total: int | None
        pending: bool  # a visible row waits for MC

    fetching: var[bool] = var(False)
    """Rows asked for have not all come yet, or the old list's stand in for them."""
    shown: var[Shown] = var(Shown(0, 0, None, False))
    """The visible range and the total: a watcher (the status line) runs at once, so what it
    draws comes in the frame that shows the rows, not a message (and a frame) later."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.generation = 0
        self.cursor = 0
        self.total: int | None = None
        self.marked: Collection[int] = ()
        self.sort: SortKey = "ordered_at"
        self.descending = True
        self.message = "Wczytywanie…"
        self._rows: OrderedDict[int, OrderRow] = OrderedDict()
        self._stale: dict[int, OrderRow] = {}
        self._stale_n = 0
        self._known = 0  # rows known to exist while the count is not in yet
        self._end_known = False  # ... and they are all: a read came back short
        # The Lp. column's least width: as many digits as the count can have, known before
        # it comes (the highest order id), so that its coming does not move every column.
        self.lp_at_least = 0
        self._inflight: Window | None = None
        self._last_moved: tuple[Any, ...] | None = None
        self._line_pass: _Pass | None = None
        self._margins_later = False
        self._end_wanted = False  # End was pressed before the count came

    # -- what the screen calls -----------------------------------------------------
    def reset(self, *, keep_position: bool = False) -> int:
        """Start a new list (filter or sort changed) or re-read this one (data changed).

        The old rows stay on screen until the new ones arrive, so nothing flickers.
        Returns the new generation; windows of older generations are ignored.
        """
        self._stale, self._stale_n = dict(self._rows), self.row_count
        self._rows.clear()
        self.generation += 1
        self._end_wanted = False
        self._inflight = None
        self._known, self._end_known = 0, False
        if not keep_position:
            self.total = None
            self.cursor = 0
            self.scroll_to(y=0, animate=False, immediate=True)
        if self.is_mounted and self.size.height:
            self.need_rows()  # no need to wait for a frame: the size is known
        else:
            self.call_after_refresh(self.need_rows)
        self._fetched()
        return self.generation

    def put_rows(self, window: Window, rows: list[OrderRow]) -> None:
        if window.generation != self.generation:
            return
        if self._inflight == window:
            self._inflight = None
        if self._stale:
            self._stale.clear()
        for row in rows:
            self._rows[row.lp - 1] = row
            self._rows.move_to_end(row.lp - 1)
        while len(self._rows) > CACHE_ROWS:
            self._rows.popitem(last=False)
        if window.before is None and len(rows) < window.count:
            end = window.start + len(rows)  # the end of the list
            self._known, self._end_known = end, True
            if self.total is not None and end < self.total:
                self.total = end  # it shrank since the count (a refresh moved rows out)
        elif rows:
            self._known = max(self._known, rows[-1].lp + (1 if self.total is None else 0))
        self.message = self.empty_text if self.row_count == 0 else ""
        self._update_size()
        self.refresh()
        self.need_rows()
        self._fetched()

    def set_total(self, generation: int, total: int) -> None:
        if generation != self.generation:
            return
        self.total = total
        if total == 0:
            self.message = self.empty_text
        self.cursor = min(self.cursor, max(total - 1, 0))
        self._update_size()
        self.refresh()
        if self._end_wanted:
            self.action_last()
        self.need_rows()

    def show_error(self, text: str) -> None:
        self._inflight = None
        self.message = visible(text)
        self.refresh()
        self._fetched()

    def set_sort(self, sort: SortKey, descending: bool) -> None:
        self.sort, self.descending = sort, descending
        self.refresh()

    @property
    def row_count(self) -> int:
        if self._stale:
            return self._stale_n
        return self.total if self.total is not None else self._known

    @property
    def current_row(self) -> OrderRow | None:
        return self._rows.get(self.cursor)

    def loaded_rows(self) -> list[OrderRow]:
        return list(self._rows.values())

    def refresh_row_of(self, order_id: int) -> None:
        for i, row in self._rows.items():
            if row.id == order_id:
                self._refresh_index(i)

    # -- fetching ---------------------------------------------------------------------
    @property
    def _body_height(self) -> int:
        return max(self.scrollable_content_region.height - 1, 1)

    def need_rows(self, *, margins: bool = False) -> None:
        """Ask for the first run of missing rows: in the viewport first, then a page below
        it (so PgDn shows rows already read), then a page above, then the list's first and,
        once the count is in, last screen (so Home and End show rows already read). Rows
        off screen are asked for after the next frame (`margins`), so that their reading
        never slows it."""
        if self._inflight is not None or not self.is_mounted:
            return
        top, h = int(self.scroll_y), self._body_height
        ahead = max(MARGIN, h)
        limit = None
        if self.total is not None:
            limit = self.total
        elif self._end_known:
            limit = self._known
        # Otherwise the rows below the known ones are asked for too: until the count comes,
        # only reading them says whether there are more (a page-down stopped short there).
        ranges = [(top, top + h), (top + h, top + h + ahead), (max(0, top - ahead), top), (0, h)]
        if self.total is not None:
            ranges.append((max(0, self.total - h), self.total))
        for n in range(len(ranges)):
            lo, hi = ranges[n]
            if limit is not None:
                hi = min(hi, limit)
            start = next((i for i in range(lo, hi) if i not in self._rows), None)
            if start is not None:
                break
        else:
            return
        if n and not margins:
            if not self._margins_later:
                self._margins_later = True
                self.call_after_refresh(self._read_margins)
            return
        end = start
        while end < hi and end not in self._rows:
            end += 1
        count = min(end - start, MAX_FETCH)
        prev, nxt, ahead = self._rows.get(start - 1), self._rows.get(end), n > 0
        if prev is not None:
            window = Window(self.generation, start, count, after=prev.key, after_lp=prev.lp,
                            ahead=ahead)
        elif nxt is not None:
            window = Window(self.generation, end - count, count, before=nxt.key,
                            before_lp=nxt.lp, ahead=ahead)
        else:
            window = Window(self.generation, start, max(count, h + MARGIN), ahead=ahead)
        self._inflight = window
        self._fetched()
        self.post_message(self.WindowNeeded(window))

    def _fetched(self) -> None:
        self.fetching = self._inflight is not None or bool(self._stale)

    def _read_margins(self) -> None:
        self._margins_later = False
        self.need_rows(margins=True)

    def _update_size(self) -> None:
        size = Size(self.scrollable_content_region.width, self.row_count + 1)
        if size != self.virtual_size:
            # Not the reactive's own way: that lays out the whole screen again (a full
            # redraw) each time rows or the count arrive. Only the scrollbar changes, unless
            # it appears or goes (then _refresh_scrollbars asks for the layout itself).
            self.set_reactive(OrderTable.virtual_size, size)
            self._scroll_update(size)
            self.refresh()
        self._post_moved()

    # -- cursor and scrolling -----------------------------------------------------------
    def _set_cursor(self, index: int) -> None:
        self._end_wanted = False  # (action_last sets it again)
        n = self.row_count
        index = max(0, min(index, n - 1)) if n else 0
        old, self.cursor = self.cursor, index
        self._refresh_index(old)
        self._refresh_index(index)
        self._cursor_in_view()
        self._post_moved()
        self.need_rows()

    def _cursor_in_view(self) -> None:
        index, top, h = self.cursor, int(self.scroll_y), self._body_height
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + h:
            self.scroll_to(y=index - h + 1, animate=False, immediate=True)

    def action_move(self, delta: int) -> None:
        self._set_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        h = self._body_height
        self.scroll_to(y=self.scroll_y + direction * h, animate=False, immediate=True)
        self._set_cursor(self.cursor + direction * h)

    def action_first(self) -> None:
        self._set_cursor(0)

    def action_last(self) -> None:
        self._set_cursor(self.row_count - 1)
        # Before the count is in, the end is not known: go there when it comes (set_total).
        self._end_wanted = self.total is None

    def action_select(self) -> None:
        row = self.current_row
        if row is not None:
            self.post_message(self.Selected(row))

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if round(old_value) != round(new_value):
            self._post_moved()
            self.need_rows()

    def on_resize(self, event: events.Resize) -> None:
        self._update_size()
        self._cursor_in_view()  # a shorter terminal (or a pane beside) must not hide it
        self.need_rows()

    def on_focus(self) -> None:
        self._refresh_index(self.cursor)

    def on_blur(self) -> None:
        self._refresh_index(self.cursor)

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        index = int(self.scroll_y) + event.y - 1
        if index < self.row_count:
            self._set_cursor(index)
            if event.chain >= 2:
                self.action_select()

    def _refresh_index(self, index: int) -> None:
        self.refresh_line(index + 1)

    def shown_now(self) -> Shown:
        """The rows in view and the total, from the table's size and scroll as they are now."""
        n = self.row_count
        top = int(self.scroll_y)
        first = min(top + 1, n)
        last = min(top + self._body_height, n)
        pending = any(
            (r := self._rows.get(i)) is not None and r.pending_action for i in range(top, last)
        )
        return Shown(first, last, self.total, pending)

    def _post_moved(self) -> None:
        self.shown = shown = self.shown_now()
        first, last, _, pending = shown
        state = (first, last, self.total, pending, self.cursor, self.generation)
        if state != self._last_moved:
            self._last_moved = state
            self.post_message(self.Moved(first, last, self.total, pending))

    # -- drawing ------------------------------------------------------------------------
    @property
    def lp_width(self) -> int:
        return max(3, self.lp_at_least, len(str(self.row_count)))

    def _layout(self) -> Layout:
        return compute_layout(self.scrollable_content_region.width, self.lp_width)

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"order-table--{name}", partial=True)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._line_pass = None  # what every line of this pass shares, worked out once
        try:
            return super().render_lines(crop)
        finally:
            self._line_pass = None

    def _pass_context(self) -> _Pass:
        width = self.scrollable_content_region.width
        styles: dict[str, Style] = {}

        def style(name: str) -> Style:
            found = styles.get(name)
            if found is None:
                found = styles[name] = self._style(name)
            return found

        ctx = _Pass(width, self.rich_style, self._layout(), style)
        self._line_pass = ctx
        return ctx

    def render_line(self, y: int) -> Strip:
        width, base, lay, style_of = self._line_pass or self._pass_context()
        if y == 0:
            return self._header(lay, width, base, style_of)
        index = int(self.scroll_y) + y - 1
        n = self.row_count
        if index >= n:
            lines = self.message.split("\n") if n == 0 else []
            if index < len(lines):
                line = [Segment(" " + lines[index], base + style_of("placeholder"))]
                return Strip(line).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        row = self._rows.get(index) or self._stale.get(index)
        style = base
        if index == self.cursor:
            style = style + style_of("cursor")
        if row is None:
            text = " " * (lay.lp + 2) + "…"
            return Strip([Segment(text, style + style_of("placeholder"))]).adjust_cell_length(width, style)
        if row.id in self.marked:
            style = style + style_of("marked")
        status_text = row.status_text(short=lay.short) + ("*" if row.pending_action else "")
        cells = [
            ("●" if row.id in self.marked else " ") + str(row.lp).rjust(lay.lp) + " ",
            # Segments are drawn as they are: text from data is made visible here.
            fit(visible(row.person), lay.person) + " ",
            fit(visible(row.album), ALBUM_W) + " ",
            row.ordered_at.strftime(lay.date_fmt).ljust(lay.date) + " ",
        ]
        status_style = style + style_of(status_part(row.status))
        if index == self.cursor:
            status_style = status_style + style_of("cursor")
        after = [
            list_date(row.expiry_date).ljust(lay.expiry) + " ",
            clip(visible(row.error_code or ""), lay.err),
        ]
        segments = [
            Segment("".join(cells), style),
            Segment(status_text.ljust(lay.status) + " ", status_style),
            Segment("".join(after), style),
        ]
        return Strip(segments).adjust_cell_length(width, style)

    def _header(self, lay: Layout, width: int, base: Style, style_of: Any) -> Strip:
        arrow = "▼" if self.descending else "▲"
        names = ["Osoba", "Nr albumu", "Data zam." if lay.date < 15 else "Data zamówienia",
                 "Status", lay.expiry_head, "Kod błędu" if lay.err > len("Kod błędu") else "Kod bł."]
        widths = [lay.person, ALBUM_W, lay.date, lay.status, lay.expiry, lay.err]
        parts = [" " + "Lp.".rjust(lay.lp) + " "]
        for key, name, w in zip(SORT_KEYS, names, widths):
            text = (arrow + name) if key == self.sort else name
            parts.append(clip(text, w).ljust(w) + " ")
        style = base + style_of("header")
        return Strip([Segment("".join(parts), style)]).adjust_cell_length(width, style)
