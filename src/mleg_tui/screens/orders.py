"""The start screen: figure 11's order list with its filter, marks and bulk actions."""
from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Header, Static

from mleg_tui.screens.base import BaseScreen, run_service
from mleg_tui.widgets.filter_bar import Filter, FilterBar
from mleg_tui.widgets.fmt import count, orders
from mleg_tui.widgets.key_bar import KeyBar
from mleg_tui.widgets.order_table import COLUMN_SORT, OrderTable, Window

if TYPE_CHECKING:
    from mleg_tui.services.actions import ActionResult
    from mleg_tui.services.orders import OrderRow

RELOAD_EVERY = 0.5  # seconds: at most this often while a refresh reports changes
DESCENDING_FIRST = {"ordered_at", "expiry"}  # newest first; names and codes A-Z


class OrdersScreen(BaseScreen):
    PERMISSIONS = {"refresh": "refresh", "refresh_all": "refresh", "revoke": "revoke",
                   "sweep": "sweep"}
    BINDINGS = [
        Binding("slash", "filter", "Filtr", id="orders.filter",
                tooltip="Przejdź do filtru (osoba lub nr albumu, daty, status, kod błędu)"),
        Binding("space", "mark", "Zaznacz", id="orders.mark",
                tooltip="Zaznacz bieżący wiersz albo usuń zaznaczenie"),
        Binding("c", "clear_marks", "Odznacz", id="orders.clear_marks",
                tooltip="Usuń wszystkie zaznaczenia"),
        Binding("s", "sort", "Sortuj", id="orders.sort",
                tooltip="Sortuj według następnej kolumny"),
        Binding("S", "sort_direction", "Odwróć", id="orders.sort_direction",
                tooltip="Odwróć kierunek sortowania"),
        Binding("u", "refresh", "Aktualizuj", id="orders.refresh",
                tooltip="Aktualizuj w MC status bieżącego lub zaznaczonych zamówień"),
        Binding("U", "refresh_all", "Aktualizuj wszystkie", id="orders.refresh_all",
                tooltip="Aktualizuj statusy zamówień (wszystkie aktywne)"),
        Binding("x", "revoke", "Unieważnij", id="orders.revoke",
                tooltip="Unieważnij bieżące lub zaznaczone zamówienia (z powodem)"),
        Binding("w", "sweep", "Skrypt", id="orders.sweep",
                tooltip="Skrypt unieważniający: podgląd i uruchomienie"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = Filter()
        self.sort = "ordered_at"
        self.descending = True
        self.marks: dict[int, OrderRow] = {}  # id -> the row as last seen (its version)
        self._hidden = 0  # marked orders the filter hides (asked of the store)
        self._counted = -1
        self._reload_timer: Timer | None = None
        self._shown: tuple[int, int, int | None, bool] = (0, 0, None, False)
        self._shown_text = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield FilterBar(id="filter")
        yield OrderTable(id="orders")
        yield Static(id="shown")
        yield KeyBar()

    @property
    def table(self) -> OrderTable:
        return self.query_one(OrderTable)

    def on_mount(self) -> None:
        self.title = "Zamówienia mLegitymacji"
        self.table.marked = self.marks
        self.table.set_sort(self.sort, self.descending)
        self.table.focus()
        self.table.reset()

    def on_screen_resume(self) -> None:
        # Back from a student, a dialog or a refresh: what is shown may have changed.
        if self._counted >= 0:
            self.reload()

    # -- reading rows ---------------------------------------------------------------------
    def _query(self) -> dict[str, Any]:
        return {**asdict(self.filter), "sort": self.sort, "descending": self.descending}

    @on(OrderTable.WindowNeeded)
    def _fetch(self, event: OrderTable.WindowNeeded) -> None:
        w, q, total = event.window, self._query(), self.table.total

        def job(ctx: Any) -> list[OrderRow]:
            from mleg_tui.services.orders import OrderQuery, find_orders

            return find_orders(ctx, OrderQuery(**q), limit=w.count,
                               offset=0 if (w.after or w.before) else w.start,
                               after=w.after, after_lp=w.after_lp,
                               before=w.before, before_lp=w.before_lp, total=total)

        run_service(self, "rows", job, lambda rows: self._arrived(w, rows), self._rows_failed)

    def _rows_failed(self, text: str) -> None:
        self.table.show_error(text)
        self.notify(text, title="Nie można odczytać zamówień", severity="error", timeout=10)

    def _arrived(self, window: Window, rows: list[OrderRow]) -> None:
        for row in rows:
            if row.id in self.marks:
                self.marks[row.id] = row
        self.table.put_rows(window, rows)
        if self._counted != window.generation:
            self._count(window.generation)

    def _count(self, generation: int) -> None:
        """The total comes after the rows, in its own worker: a slow count never delays them."""
        self._counted = generation
        q = self._query()

        def job(ctx: Any) -> int:
            from mleg_tui.services.orders import OrderQuery, count_orders

            return count_orders(ctx, OrderQuery(**q))

        run_service(self, "count", job, lambda n: self.table.set_total(generation, n))

    def reload(self) -> None:
        """Re-read what is shown (data changed), keeping the place in the list."""
        if self._reload_timer is not None:
            self._reload_timer.stop()
            self._reload_timer = None
        self.table.reset(keep_position=True)
        self.refresh_bindings()

    def changed(self, ids: list[int]) -> None:
        """Orders changed under us (a refresh is running): re-read soon, not per order."""
        if self._reload_timer is None:
            self._reload_timer = self.set_timer(RELOAD_EVERY, self.reload)

    # -- the status line --------------------------------------------------------------------
    @on(OrderTable.Moved)
    def _moved(self, event: OrderTable.Moved) -> None:
        self._shown = (event.first, event.last, event.total, event.pending)
        self._status_line()
        self.refresh_bindings()

    def _status_line(self) -> None:
        first, last, total, pending = self._shown
        t = Text()
        t.append(f"Wyświetlane są elementy {first}..{last} (spośród {total if total is not None else '…'})")
        if self.marks:
            hidden = self.hidden_marks()
            t.append(f" · zaznaczone: {len(self.marks)}", "bold")
            if hidden:
                t.append(f" (w tym ukryte przez filtr: {hidden})")
        if pending:
            t.append(" · * czeka na potwierdzenie MC")
        if t.plain != self._shown_text:  # cursor moves must not redraw it
            self._shown_text = t.plain
            self.query_one("#shown", Static).update(t)

    def hidden_marks(self) -> int:
        return self._hidden

    def _count_hidden(self) -> None:
        """How many marked orders the filter hides, asked of the store (the one place that
        knows the filter's rules), after every change of the filter or the marks."""
        ids, q = list(self.marks), self._query()
        if not ids:
            self._hidden = 0
            return

        def job(ctx: Any) -> int:
            from mleg_tui.services.orders import OrderQuery, matching_ids

            return len(ids) - len(matching_ids(ctx, OrderQuery(**q), ids))

        def done(hidden: int) -> None:
            self._hidden = hidden
            self._status_line()

        run_service(self, "hidden", job, done)

    # -- filter and sort ----------------------------------------------------------------------
    @on(FilterBar.Changed)
    def _filtered(self, event: FilterBar.Changed) -> None:
        self.filter = event.filter
        self.table.reset()
        self._count_hidden()

    @on(FilterBar.Leave)
    def _leave_filter(self) -> None:
        self.table.focus()

    def action_filter(self) -> None:
        self.query_one(FilterBar).focus_text()

    def action_sort(self) -> None:
        i = COLUMN_SORT.index(self.sort) if self.sort in COLUMN_SORT else -1
        self.sort = COLUMN_SORT[(i + 1) % len(COLUMN_SORT)]
        self.descending = self.sort in DESCENDING_FIRST
        self._resort()

    def action_sort_direction(self) -> None:
        self.descending = not self.descending
        self._resort()

    def _resort(self) -> None:
        self.table.set_sort(self.sort, self.descending)
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
            if len(self.marks) > 1 and not self.app.can("bulk_revoke"):  # type: ignore[attr-defined]
                return None  # an operator revokes one at a time
            if self.marks:
                return True
            return (row is not None and row.status.is_live and not row.pending_action) or None
        return True

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
        self.app.push_screen(RefreshScreen({"order_ids": [r.id for r in rows]}, what, self.changed))

    def action_refresh_all(self) -> None:
        from mleg_tui.screens.refresh import RefreshScreen

        self.app.push_screen(RefreshScreen({}, "wszystkie aktywne zamówienia", self.changed))

    def action_revoke(self) -> None:
        from mleg_tui.screens.confirm import RevokeDialog

        rows = self._targets()
        if not rows:
            return
        if self.marks:
            n, hidden = len(rows), self.hidden_marks()
            head = (count(n, "zaznaczone zamówienie", "zaznaczone zamówienia", "zaznaczonych zamówień")
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

        def job(ctx: Any) -> list[ActionResult]:
            from mleg_tui.services.actions import revoke_orders

            results = revoke_orders(ctx, ids, reason, versions=versions)
            if ctx.settings.mc_url and any(r.pending for r in results):
                from mleg_tui.services.mc_sync import confirm_pending

                results = confirm_pending(ctx, results)
            return results

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

    def action_sweep(self) -> None:
        from mleg_tui.screens.sweep import SweepScreen

        self.app.push_screen(SweepScreen())
