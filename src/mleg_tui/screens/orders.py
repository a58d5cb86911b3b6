"""The start screen: figure 11's order list with its filter, marks and bulk actions."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widget import Widget

from mleg_tui.domain.names import plural
from mleg_tui.screens.base import BaseScreen, run_in_thread, run_service
from mleg_tui.screens.student_side import EMPTY, FOLLOW_AFTER, SIDE_FROM, StudentSide, side_width
from mleg_tui.services.context import Context, Permission
from mleg_tui.services.interrupt import Interrupt
from mleg_tui.services.list_types import OrderQuery, OrderRow, SortKey
from mleg_tui.services.order_rows import SCREENS_AHEAD, FirstWindow, first_count, first_window
from mleg_tui.widgets.filter_bar import FilterBar
from mleg_tui.widgets.fmt import orders
from mleg_tui.widgets.key_bar import KeyBar
from mleg_tui.widgets.order_table import MARGIN, OrderTable, Shown, Window, narrowest_width
from mleg_tui.widgets.textual_pl import Header

if TYPE_CHECKING:
    from mleg_tui.services.types import ActionResult

RELOAD_EVERY = 0.5  # seconds: at most this often while a refresh reports changes
# Screens of rows read before the first frame: page-downs right after the start need no store
# (it opens in a worker meanwhile, SQLAlchemy taking a second on a busy machine).
FIRST_PAGES = 3
EARLY_ROWS = 2000  # rows of the start list read the same way while the store opens
DESCENDING_FIRST: frozenset[SortKey] = frozenset({"ordered_at", "expiry"})  # newest first; names and codes A-Z
EMPTY_STORE = ("Baza nie zawiera jeszcze żadnych zamówień. Wczytaj dane:\n"
               "  mleg-tui import PLIK.csv   (osoby i programy z rejestru)\n"
               "  mleg-tui demo-data         (przykładowa baza demonstracyjna)")


class StatusLine(Widget):
    """The line under the list: which rows are shown, of how many. Its text is worked out as
    it is drawn, from the table as it is then: in the first frame the table's height is
    known only once the screen is laid out, after the rows came (a text set then said
    "1..1" for a frame)."""

    def __init__(self, text: Callable[[], Text], **kw: Any) -> None:
        super().__init__(**kw)
        self._text = text

    def render(self) -> Text:
        return self._text()


class OrdersScreen(BaseScreen):
    PERMISSIONS = {"refresh": Permission.REFRESH, "refresh_all": Permission.REFRESH,
                   "revoke": Permission.REVOKE, "cancel": Permission.CANCEL, "sweep": Permission.SWEEP,
                   "audit": Permission.AUDIT}
    BINDINGS = [
        Binding("slash", "filter", "Filtr", id="orders.filter",
                tooltip="Przejdź do filtru (nazwisko, nr albumu, PESEL, nr zamówienia, kod QR; "
                        "daty, status, kod błędu)"),
        Binding("space", "mark", "Zaznacz", id="orders.mark",
                tooltip="Zaznacz bieżący wiersz albo usuń zaznaczenie"),
        Binding("c", "clear_marks", "Odznacz", id="orders.clear_marks",
                tooltip="Usuń wszystkie zaznaczenia"),
        Binding("C", "clear_filter", "Wyczyść filtr", id="orders.clear_filter",
                tooltip="Wyczyść filtr: wszystkie pola i status (cała lista)"),
        Binding("e", "error_codes", "Kody błędów", id="orders.error_codes", show=False,
                tooltip="Kody błędów MC w zamówieniach z liczbą każdego: wybrany staje się filtrem"),
        Binding("s", "sort", "Sortuj", id="orders.sort",
                tooltip="Sortuj według wybranej kolumny (lista kolumn)"),
        Binding("S", "sort_direction", "Odwróć", id="orders.sort_direction",
                tooltip="Odwróć kierunek sortowania"),
        Binding("u", "refresh", "Aktualizuj", id="orders.refresh",
                tooltip="Aktualizuj w MC status bieżącego lub zaznaczonych zamówień"),
        Binding("U", "refresh_all", "Aktualizuj wszystkie", id="orders.refresh_all",
                tooltip="Aktualizuj statusy zamówień (wszystkie aktywne)"),
        Binding("x", "revoke", "Unieważnij", id="orders.revoke",
                tooltip="Unieważnij bieżące lub zaznaczone zamówienia (z powodem)"),
        # Not in the footer: at 80 columns it would take a third line from the table (the
        # student screen shows it; here the help and the palette list it).
        Binding("a", "cancel", "Anuluj", id="orders.cancel", show=False,
                tooltip="Anuluj bieżące zamówienie na prośbę studenta (z potwierdzeniem)"),
        Binding("w", "sweep", "Skrypt", id="orders.sweep",
                tooltip="Skrypt unieważniający: podgląd i uruchomienie"),
        Binding("z", "export", "Eksport", id="orders.export", show=False,
                tooltip="Eksport listy, jak ją pokazuje filtr, do pliku CSV lub JSON"),
        # Not in the footer either (a third line at 80 columns): the help and the palette list it.
        Binding("o", "overview", "Przegląd", id="orders.overview", show=False,
                tooltip="Przegląd: co wymaga działania, statusy i błędy, z ich listami"),
        Binding("r", "runs", "Raporty", id="orders.runs", show=False,
                tooltip="Raporty aktualizacji statusów i skryptu unieważniającego: kto, kiedy, co zrobiły"),
        Binding("d", "audit", "Dziennik", id="orders.audit", show=False,
                tooltip="Kto co zrobił: dziennik zdarzeń z filtrem (login, czynność, daty, student)"),
        Binding("p", "toggle_side", "Panel studenta", id="orders.side", show=False,
                tooltip=f"Panel studenta obok listy: pokaż albo ukryj (od {SIDE_FROM} kolumn)"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.order_query = OrderQuery()  # the filter's, with the list's sort
        self.marks: dict[int, OrderRow] = {}  # id -> the row as last seen (its version)
        self._hidden = 0  # marked orders the filter hides (asked of the store)
        self._counted = -1
        self._reload_timer: Timer | None = None
        self._shown_text = ""
        self._shown_one_line = False
        self._first_tried = False  # the first rows were read before the store opened, or tried
        self._first_local = False  # ... from the UI thread: so are the next (_before_the_store)
        self._opening = False  # the store asked to open (the first rows came without it)
        self._away = False  # another screen is over this one
        self._side_on = True  # the student pane, where there is room (p hides it)
        self._follow_timer: Timer | None = None
        self._last_follow = 0.0  # time.monotonic() of the last call for the pane to follow
        self._reads: dict[str, Interrupt] = {}  # the newest read of rows, of the count
        self._side_lp = 0  # the widest Lp. of the table seen: the pane's width is worked out for it
        self._all_lp = 0  # the Lp. width the whole list's count will need (the highest order id's)

    def compose(self) -> ComposeResult:
        yield Header()
        yield FilterBar(id="filter")
        with Horizontal(id="orders-body"):
            yield OrderTable(id="orders")
            yield StudentSide(id="side")
        yield StatusLine(self.status_text, id="shown")
        yield KeyBar()

    @property
    def table(self) -> OrderTable:
        return self.query_one(OrderTable)

    @property
    def side(self) -> StudentSide:
        return self.query_one(StudentSide)

    def on_mount(self) -> None:
        self.title = "Zamówienia mLegitymacji"
        self.table.marked = self.marks
        self.table.empty_text = EMPTY_STORE  # no filter yet: no rows means none at all
        self.table.set_sort(self.order_query.sort, self.order_query.descending)
        self.table.focus()
        self.app.orders_changed.subscribe(self, self.changed)
        self.watch(self.table, "shown", self._shown_changed)
        self._place_side()
        self._first_rows(self.table.reset())
        self.query_one(KeyBar).rebuild()  # in the first frame, not one frame later

    def on_screen_suspend(self) -> None:
        self._away = True

    def on_screen_resume(self) -> None:
        # Back from a student, a dialog or a refresh: what is shown may have changed.
        # (Not when the screen is first shown: its rows may be here already.)
        if self._away and self._counted >= 0:
            self.reload()
        self._away = False

    # -- reading rows ---------------------------------------------------------------------
    @on(OrderTable.WindowNeeded)
    def _fetch(self, event: OrderTable.WindowNeeded) -> None:
        w, q, total = event.window, self.order_query, self.table.total
        if (not self._first_tried and self.app.ctx is None and w.start == 0
                and w.after is None and w.before is None and q == OrderQuery()):
            self._first_in_worker(w)
            return
        if self._before_the_store(w):
            return

        # A read ahead is never interrupted: it may serve the list after the next move.
        interrupt = None if w.ahead else self._interrupt_stale("rows")

        def job(ctx: Context) -> list[OrderRow]:
            from mleg_tui.services.orders import find_orders

            return find_orders(ctx, q, limit=w.count,
                               offset=0 if (w.after or w.before) else w.start,
                               after=w.after, after_lp=w.after_lp,
                               before=w.before, before_lp=w.before_lp, total=total,
                               interrupt=interrupt)

        # Rows read ahead are not cancelled by a newer list: they finish, and are dropped.
        def failed(text: str) -> None:
            if w.generation == self.table.generation:
                self._rows_failed(text)

        run_service(self, "rows-ahead" if w.ahead else "rows", job,
                    lambda rows: self._arrived(w, rows), failed, exclusive=not w.ahead, background=w.ahead)

    # The start screen's rows come before the store is open: the database driver alone
    # reads them (services.order_rows), so they do not wait for SQLAlchemy and SQLModel to
    # load; each store from the thread that suits it. Where this way does not apply, the
    # ordinary one.
    def _first_rows(self, generation: int) -> None:
        """Before the first frame: rows there are at once (a local SQLite file)."""
        app = self.app
        if app.ctx is not None:
            return
        w = Window(generation, 0, self._first_count)
        first = first_window(app.settings, w.count, ui_thread=True)
        if first is not None:
            self._first_tried = self._first_local = True
            self._expect_orders(first.orders_at_most)
            settings = app.settings
            self._count_first(generation, lambda: first_count(settings))
            self._arrived(w, first.rows)  # the store opens once they are shown
        # Otherwise the table asks for its rows after the first frame (_fetch).

    def _count_first(self, generation: int, read: Callable[[], int | None]) -> None:
        """The start list's count, read as its first rows were (order_rows.first_count), in
        a worker: it comes with them, not after the store's opening (End waited for it,
        and the rows moved again when it came amid the first keys). Where this gives none,
        the store counts."""
        self._counted = generation  # the ordinary count only if this one fails

        def done(total: int | None) -> None:
            if total is None:
                self._count(generation)
            else:
                self.table.set_total(generation, total)

        run_in_thread(self, "count", read, done, lambda _: self._count(generation))

    def _before_the_store(self, w: Window) -> bool:
        """The next screens of the start list while the store opens: read as its first rows
        were, at once (a local SQLite file), so a page-down in the first second does not
        wait for the store (100-150 ms, measured in a real terminal). True if served."""
        if (not self._first_local or self.app.ctx is not None or w.before is not None
                or w.start > EARLY_ROWS or self.order_query != OrderQuery()):
            return False
        first = first_window(self.app.settings, w.count, offset=w.start, ui_thread=True)
        if first is None:
            return False
        self._arrived(w, first.rows)
        return True

    @property
    def _first_count(self) -> int:
        """The first rows read by the driver alone: FIRST_PAGES screens and a margin."""
        return FIRST_PAGES * self.app.size.height + MARGIN

    def _first_in_worker(self, w: Window) -> None:
        # Many screens at once: the first page-downs need not wait for the store, which
        # opens after these rows (SQLAlchemy's import, 300 ms of CPU giving way to keys).
        settings, count = self.app.settings, max(w.count, SCREENS_AHEAD * self.app.size.height)
        aside = self.app.first_aside  # read by a child process since the start (PostgreSQL)
        self.app.first_aside = None

        def read() -> FirstWindow | None:
            return (aside.take() if aside is not None else None) or first_window(settings, count)

        def count_of() -> int | None:
            total = aside.take_count() if aside is not None else None
            return first_count(settings) if total is None else total  # (0 is a count)

        run_in_thread(self, "rows", read,
                      lambda first: self._first_arrived(w, first, count_of),
                      lambda _: self._first_arrived(w, None, count_of))  # the ordinary way says what is wrong

    def _first_arrived(self, w: Window, first: FirstWindow | None, count_of: Callable[[], int | None]) -> None:
        self._first_tried = True
        if w.generation != self.table.generation:  # the filter or sort changed meanwhile
            return
        if first is None or self.app.ctx is not None:
            self.post_message(OrderTable.WindowNeeded(w))  # the ordinary way
            return
        self._expect_orders(first.orders_at_most)
        self._count_first(w.generation, count_of)
        self._arrived(w, first.rows)  # the store opens once they are shown

    def _expect_orders(self, at_most: int) -> None:
        """The table's Lp. column and the pane are placed at once for the width the count
        will need (the highest order id has as many digits, or more): placing them again
        when the count comes moved every column and laid out the whole screen and the pane
        twice, 50 ms in the middle of the first keys."""
        lp = len(str(at_most))
        self._all_lp = max(self._all_lp, lp)
        self.table.lp_at_least = self._all_lp  # the whole list's (a filter's count is not known)
        if lp > self._side_lp:
            self._side_lp = lp
            self._place_side()

    def _rows_failed(self, text: str) -> None:
        self.table.show_error(text)
        self.query_one(FilterBar).build()
        if self.side.display:
            self.side.say(text, error=True)
        self.notify(text, title="Nie można odczytać zamówień", severity="error", timeout=10)

    def _arrived(self, window: Window, rows: list[OrderRow]) -> None:
        for row in rows:
            if row.id in self.marks:
                self.marks[row.id] = row
        self.table.put_rows(window, rows)
        self.call_after_refresh(self.query_one(FilterBar).build)  # once the rows are drawn
        self._follow_later()  # the cursor's row may be among them
        if self._counted != window.generation:
            self._counted = window.generation
            # After the frame that shows the rows: the count's worker must not slow it.
            self.call_after_refresh(self._count, window.generation)
        elif self.app.ctx is None and not self._opening:  # counted already (_count_first)
            self._opening = True
            # The store, for who acts and what they may (the keys they have): after the
            # frame, giving way to the keys; a store that cannot be opened is said.
            self.call_after_refresh(run_service, self, "open", lambda ctx: None, lambda _: None,
                                    background=True)

    def _count(self, generation: int) -> None:
        """The total comes after the rows, in its own worker: a slow count never delays them."""
        if generation != self.table.generation:  # the list changed again meanwhile
            return
        self._counted = generation
        q = self.order_query

        interrupt = self._interrupt_stale("count")

        def job(ctx: Context) -> int:
            from mleg_tui.services.orders import count_orders

            return count_orders(ctx, q, interrupt=interrupt)

        run_service(self, "count", job, lambda n: self.table.set_total(generation, n), background=True)

    def _interrupt_stale(self, group: str) -> Interrupt:
        """A new read of `group` ("rows", "count"): the one it replaces is stopped in the
        database (its result would be dropped anyway); returns the new read's Interrupt."""
        stale = self._reads.pop(group, None)
        if stale is not None:
            stale.interrupt()
        self._reads[group] = fresh = Interrupt()
        return fresh

    def _interrupt_reads(self) -> None:
        """The list changed (filter, sort): its rows and count being read are not wanted."""
        for stale in self._reads.values():
            stale.interrupt()
        self._reads.clear()

    def reload(self) -> None:
        """Re-read what is shown (data changed), keeping the place in the list."""
        if self._reload_timer is not None:
            self._reload_timer.stop()
            self._reload_timer = None
        self.side.changed()
        self.table.reset(keep_position=True)
        self.refresh_bindings()

    def changed(self, ids: list[int]) -> None:
        """Orders changed under us (a refresh is running): re-read soon, not per order,
        while the list can be seen (under the refresh's dialog); otherwise it is re-read
        when it comes back (on_screen_resume)."""
        stack = self.app.screen_stack
        in_view = self in stack and all(isinstance(s, ModalScreen) for s in stack[stack.index(self) + 1:])
        if in_view and self._reload_timer is None:
            self._reload_timer = self.set_timer(RELOAD_EVERY, self.reload)

    # -- the status line --------------------------------------------------------------------
    @on(OrderTable.Moved)
    def _moved(self, event: OrderTable.Moved) -> None:
        self.refresh_bindings()
        if self.table.lp_width > self._side_lp:  # the list grew past 999, 9999, ...
            self._place_side()
        self._follow_later(moved=True)

    # -- the student pane ---------------------------------------------------------------------
    def on_resize(self) -> None:
        self._place_side()

    def _place_side(self) -> None:
        """The pane beside the table from SIDE_FROM columns on; the table keeps at least its
        narrowest readable layout (+1: its scrollbar), for the longest list seen: a filter
        that shrinks the list leaves the pane as it was (placing it again lays out the whole
        screen and measures the pane: 20-30 ms in the frame of the filter's rows)."""
        side, width = self.side, self.app.size.width
        self._side_lp = max(self._side_lp, self.table.lp_width)
        cols = side_width(width, narrowest_width(self._side_lp) + 1) if self._side_on else 0
        shown_before = side.display
        if cols:
            side.styles.width = cols  # it draws itself again for its new size
        side.display = bool(cols)
        if not cols:
            side.changed()  # out of sight, it does not follow: read again when it is back
        elif not shown_before:
            self._follow_later()
        self.refresh_bindings()

    def _follow_later(self, *, moved: bool = False) -> None:
        """Read the cursor's student: a move after a rest at once, else once the cursor
        rests (keys in quick succession, a held PgDn: see screens.student_side)."""
        if not self.side.display:
            return
        now = time.monotonic()
        rested, self._last_follow = now - self._last_follow >= FOLLOW_AFTER, now
        if self._follow_timer is not None:
            self._follow_timer.stop()
        elif rested and moved:  # the row moved to now, read after the frame that shows it
            row = self.table.current_row
            self.call_after_refresh(self._follow, row.person_id if row is not None else None)
            return
        self._follow_timer = self.set_timer(FOLLOW_AFTER, self._follow_soon)

    def _follow_soon(self) -> None:
        # After the frame being drawn (the rows of a new list, the first screen): the
        # student's read in its worker must not hold the GIL while that frame is built.
        self._follow_timer = None
        self.call_after_refresh(self._follow)

    def _follow(self, person_id: int | None = None) -> None:
        side, table = self.side, self.table
        if not side.display:
            return
        if person_id is None and self._follow_timer is not None:
            return  # the cursor moved on since: its own rest is awaited
        if person_id is not None:
            side.show(person_id)
            return
        row = table.current_row
        if row is not None:
            side.show(row.person_id)
        elif table.row_count == 0 and not table.fetching and table.total is not None:
            side.say(EMPTY)
        # Otherwise the row is on its way: its arrival calls again.

    def action_toggle_side(self) -> None:
        self._side_on = not self._side_on
        self._place_side()

    def _shown_changed(self, shown: Shown) -> None:
        self._status_line()

    def status_text(self) -> Text:
        """The status line, from the table as it is now (see StatusLine)."""
        first, last, total, pending = self.table.shown_now()
        t = Text()
        of = f"spośród {total}" if total is not None else "spośród: liczenie…"  # it follows the rows
        t.append(f"Wyświetlane są elementy {first}..{last} ({of})")
        if self.marks:
            hidden = self.hidden_marks()
            t.append(f" · zaznaczone: {len(self.marks)}", "bold")
            if hidden:
                t.append(f" (w tym ukryte przez filtr: {hidden})")
        if pending:
            t.append(" · * czeka na potwierdzenie MC")
        return t

    def _status_line(self) -> None:
        t = self.status_text()
        if t.plain != self._shown_text:  # cursor moves must not redraw it
            shown = self.query_one(StatusLine)
            width = shown.content_region.width
            one_line = bool(width) and t.cell_len <= width
            # Only a change of its height needs a new layout of the screen (a full redraw).
            shown.refresh(layout=not (one_line and self._shown_one_line))
            self._shown_text, self._shown_one_line = t.plain, one_line

    def hidden_marks(self) -> int:
        return self._hidden

    def _count_hidden(self) -> None:
        """How many marked orders the filter hides, asked of the store (the one place that
        knows the filter's rules), after every change of the filter or the marks."""
        ids, q = list(self.marks), self.order_query
        if not ids:
            self._hidden = 0
            return

        def job(ctx: Context) -> int:
            from mleg_tui.services.orders import matching_ids

            return len(ids) - len(matching_ids(ctx, q, ids))

        def done(hidden: int) -> None:
            self._hidden = hidden
            self._status_line()

        run_service(self, "hidden", job, done)

    # -- filter and sort ----------------------------------------------------------------------
    @on(FilterBar.Changed)
    def _filtered(self, event: FilterBar.Changed) -> None:
        self.order_query = replace(event.query, sort=self.order_query.sort, descending=self.order_query.descending)
        unfiltered = replace(event.query, sort="ordered_at", descending=True) == OrderQuery()
        self.table.empty_text = EMPTY_STORE if unfiltered else OrderTable.NO_MATCH
        self.table.lp_at_least = self._all_lp if unfiltered else 0
        self._interrupt_reads()
        self.table.reset()
        self._follow_later()  # once the typing rests: the rows of each key come first
        self._count_hidden()

    @on(FilterBar.Leave)
    def _leave_filter(self) -> None:
        self.table.focus()

    def action_filter(self) -> None:
        self.query_one(FilterBar).focus_text()

    def action_clear_filter(self) -> None:
        self.query_one(FilterBar).clear()
        self.table.focus()

    @on(FilterBar.ErrorCodesWanted)
    def action_error_codes(self) -> None:
        from mleg_tui.screens.error_codes import ErrorCodePicker

        bar = self.query_one(FilterBar)

        def chosen(code: str | None) -> None:
            if code:
                bar.pick_code(code)
                self.table.focus()

        self.app.push_screen(ErrorCodePicker(self.order_query, bar.current.error_code), callback=chosen)

    def on_paste(self, event: events.Paste) -> None:
        # Pasted on the list (a field takes its own pastes): what to look for.
        event.stop()
        self.query_one(FilterBar).take_paste(event.text)

    def action_sort(self) -> None:
        from mleg_tui.screens.sort_picker import SortPicker

        def chosen(sort: SortKey | None) -> None:
            if sort is None:
                return
            if sort == self.order_query.sort:  # the same column again: the other way round
                self.action_sort_direction()
            else:
                self._resort(replace(self.order_query, sort=sort, descending=sort in DESCENDING_FIRST))

        self.app.push_screen(SortPicker(self.order_query.sort, self.order_query.descending),
                             callback=chosen)

    def action_sort_direction(self) -> None:
        self._resort(replace(self.order_query, descending=not self.order_query.descending))

    def _resort(self, query: OrderQuery) -> None:
        self.order_query = query
        self.table.set_sort(query.sort, query.descending)
        self._interrupt_reads()
        self.table.reset()

    # -- marks ------------------------------------------------------------------------------
    def action_mark(self) -> None:
        row = self.table.current_row
        if row is None:
            return
        if self.marks.pop(row.id, None) is None:
            self.marks[row.id] = row
        self._count_hidden()
        self.table.refresh_row_of(row.id)
        self.table.action_move(1)
        self._status_line()
        self.refresh_bindings()

    def action_clear_marks(self) -> None:
        self.marks.clear()
        self._hidden = 0
        self.table.refresh()
        self._status_line()
        self.refresh_bindings()

    # -- actions ------------------------------------------------------------------------------
    def action_state(self, action: str) -> bool | None:
        row = self.table.current_row if self.is_mounted else None
        if action == "clear_marks":
            return bool(self.marks)  # shown only when there is something to clear
        if action == "refresh":
            return bool(self.marks or row) or None
        if action == "revoke":
            if len(self.marks) > 1 and not self.app.can(Permission.BULK_REVOKE):
                return None  # an operator revokes one at a time
            if self.marks:
                return True
            return (row is not None and row.status.is_live and not row.pending_action) or None
        if action == "clear_filter":  # shown only when there is a filter to clear
            return self._filtered_now()
        if action == "cancel":  # the cursor's row alone: a student asks for one order
            return (row is not None and row.status.is_live and not row.pending_action) or None
        if action == "toggle_side":
            return self.app.size.width >= SIDE_FROM or None
        return True

    def why_not(self, action: str) -> str | None:
        row = self.table.current_row if self.is_mounted else None
        if action == "toggle_side":
            return (f"Panel studenta staje obok listy od {SIDE_FROM} kolumn (teraz: {self.app.size.width}). "
                    "Enter pokazuje studenta z bieżącego wiersza na całym ekranie.")
        if action == "revoke" and len(self.marks) > 1:
            return (f"Operator unieważnia jedno zamówienie naraz (zaznaczone: {len(self.marks)}). "
                    "Zostaw jedno zaznaczenie (c usuwa wszystkie) albo poproś administratora.")
        if action in ("revoke", "cancel", "refresh"):
            if row is None:
                return "Brak zamówienia w bieżącym wierszu."
            if row.pending_action:
                return f"Zamówienie {row.order_ref} czeka już na potwierdzenie MC."
            return f"Zamówienie {row.order_ref} ma status „{row.status.label}”: nie ma czego zakończyć."
        return None

    def _filtered_now(self) -> bool:
        return self.query_one(FilterBar).has_text()

    @on(OrderTable.Selected)
    def _open(self, event: OrderTable.Selected) -> None:
        from mleg_tui.screens.student import StudentScreen

        self.app.push_screen(StudentScreen(person_id=event.row.person_id))

    def _targets(self) -> list[OrderRow]:
        if self.marks:
            return list(self.marks.values())
        row = self.table.current_row
        return [row] if row is not None else []

    def action_refresh(self) -> None:
        from mleg_tui.screens.refresh import RefreshScreen

        rows = self._targets()
        if not rows:
            return
        what = (f"zaznaczone: {orders(len(rows))}" if self.marks
                else f"zamówienie {rows[0].person} ({rows[0].album})")
        from mleg_tui.services.types import RefreshSelection

        self.app.push_screen(RefreshScreen(RefreshSelection(order_ids=[r.id for r in rows]), what))

    def action_refresh_all(self) -> None:
        from mleg_tui.screens.refresh import RefreshScreen
        from mleg_tui.services.types import RefreshSelection

        self.app.push_screen(RefreshScreen(RefreshSelection(), "wszystkie aktywne zamówienia"))

    def action_revoke(self) -> None:
        from mleg_tui.screens.confirm import RevokeDialog

        rows = self._targets()
        if not rows:
            return
        if self.marks:
            n, hidden = len(rows), self.hidden_marks()
            head = (plural(n, "zaznaczone zamówienie", "zaznaczone zamówienia", "zaznaczonych zamówień")
                    + f" (w tym ukryte przez filtr: {hidden})")
        else:
            head = "bieżące zamówienie"
        lines = [f"{r.person} ({r.album}) · {r.order_ref} · {r.status.label}" for r in rows]
        self.app.push_screen(RevokeDialog(head, lines), callback=lambda reason: self._revoke(rows, reason))

    def _revoke(self, rows: list[OrderRow], reason: str | None) -> None:
        if not reason:
            return
        ids = [r.id for r in rows]
        versions = {r.id: r.version for r in rows}

        def job(ctx: Context) -> list[ActionResult]:
            from mleg_tui.services.actions import revoke_orders

            return revoke_orders(ctx, ids, reason, versions=versions, confirm_now=True)

        def done(results: list[ActionResult]) -> None:
            for r in results:
                self.marks.pop(r.order_id, None)
            text = "\n".join(r.message for r in results[:6])
            if len(results) > 6:
                text += f"\n… i {orders(len(results) - 6)} więcej"
            self.notify(text, title="Unieważnienie", timeout=8)
            self.reload()

        def failed(text: str) -> None:
            self.notify(text, title="Nie unieważniono", severity="error", timeout=10)
            self.reload()

        run_service(self, "revoke", job, done, failed)

    def action_cancel(self) -> None:
        from mleg_tui.domain.text import visible
        from mleg_tui.screens.cancel import ask_to_cancel

        row = self.table.current_row
        if row is None:
            return
        line = visible(f"{row.person} ({row.album or 'bez numeru albumu'}) · {row.order_ref} · {row.status.label}")
        ask_to_cancel(self, row.person_id, row.id, line, self.reload)

    def action_overview(self) -> None:
        from mleg_tui.screens.overview import OverviewScreen

        self.app.push_screen(OverviewScreen(), callback=self.show_query)

    def show_query(self, query: OrderQuery | None) -> None:
        """The list filtered to `query` (a line of the overview): its fields, and its set."""
        if query is None:
            return
        self.query_one(FilterBar).show(query)
        self.table.focus()

    def action_sweep(self) -> None:
        from mleg_tui.screens.sweep import SweepScreen

        self.app.push_screen(SweepScreen())

    def action_export(self) -> None:
        from mleg_tui.screens.export import open_export

        open_export(self, self.order_query, self.table.total)

    def action_runs(self) -> None:
        from mleg_tui.screens.runs import RunsScreen

        self.app.push_screen(RunsScreen())

    def action_audit(self) -> None:
        from mleg_tui.screens.audit import AuditScreen

        self.app.push_screen(AuditScreen())
