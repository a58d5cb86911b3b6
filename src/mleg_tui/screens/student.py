"""One student (Enter on a row, or the album lookup): what the help desk reads aloud."""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Label, Static

from mleg_tui.domain.status import OrderStatus
from mleg_tui.screens.base import BaseModal, BaseScreen, run_service
from mleg_tui.services.context import Context, Permission
from mleg_tui.services.types import ActionResult, OrderView, RefreshSelection, StudentView
from mleg_tui.widgets.fmt import literal
from mleg_tui.widgets.key_bar import KeyBar
from mleg_tui.widgets.qr_view import QRView
from mleg_tui.widgets.student_pane import StudentPane
from mleg_tui.widgets.textual_pl import Header

Found = tuple[StudentView, list[list[bool]] | None]  # the view, and its QR code's modules


def load_student(ctx: Context, *, album: str | None = None, person_id: int | None = None) -> Found:
    """A student's view and, for a code ready to pick up, its QR matrix (worker thread)."""
    from mleg_tui.services.students import student_view

    view = student_view(ctx, album=album, person_id=person_id)
    current, qr = view.current, None
    if current is not None and current.status is OrderStatus.DO_ODBIORU and current.qr_code:
        from mleg_tui.widgets.qr_view import qr_matrix

        qr = qr_matrix(current.qr_code)
    return view, qr


class QRDialog(BaseModal[None]):
    """The QR code alone, to be scanned, where the student's first screen has no room for it."""

    BINDINGS = [Binding("escape,enter,Q,q", "close", "Zamknij", id="qr.close")]

    def __init__(self, title: str, text: str, matrix: list[list[bool]]) -> None:
        super().__init__(classes="dialog")
        self._title, self._text, self._matrix = title, text, matrix

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog-box", id="qr-box"):
            yield Label(literal(self._title, newlines=False), classes="dialog-title")
            with Center():
                yield QRView(self._matrix)
            yield Static(Content.assemble(("Kod QR (tekst): ", "bold"), literal(self._text)), id="qr-text")
            yield Static("Esc: zamknij", classes="dialog-note")

    def action_close(self) -> None:
        self.dismiss(None)


class StudentScreen(BaseScreen):
    PERMISSIONS = {"reveal": Permission.REVEAL_CODE, "revoke": Permission.REVOKE,
                   "cancel": Permission.CANCEL, "refresh": Permission.REFRESH}
    BINDINGS = [
        Binding("escape", "back", "Wróć", id="student.back", tooltip="Wróć do listy zamówień"),
        Binding("q", "back", "Wróć", id="student.back_q", show=False,
                tooltip="Wróć do listy zamówień"),
        # Not k: that is "up" in the order list; this key means nothing else anywhere.
        Binding("K", "reveal", "Pokaż kod", id="student.reveal",
                tooltip="Pokaż kod aktywacyjny (z potwierdzeniem; odsłonięcie trafia do historii)"),
        Binding("u", "refresh", "Aktualizuj", id="student.refresh",
                tooltip="Aktualizuj w MC statusy zamówień tego studenta"),
        Binding("x", "revoke", "Unieważnij", id="student.revoke",
                tooltip="Unieważnij bieżące zamówienie lub mLegitymację (z powodem)"),
        Binding("a", "cancel", "Anuluj", id="student.cancel",
                tooltip="Anuluj bieżące zamówienie na prośbę studenta (z potwierdzeniem)"),
        # Not in the footer (at 80 columns it would take a row from the first screen): the
        # current order's details name it beside the QR code's text.
        Binding("Q", "qr", "Kod QR", id="student.qr", show=False,
                tooltip="Pokaż kod QR do zeskanowania"),
    ]

    def __init__(self, *, person_id: int | None = None, album: str | None = None,
                 view: StudentView | None = None, qr: list[list[bool]] | None = None) -> None:
        super().__init__()
        self.person_id = view.person_id if view else person_id
        self.album = album
        self.view: StudentView | None = view
        self.qr = qr
        self.codes: dict[int, str] = {}  # revealed activation codes, for this visit only

    def compose(self) -> ComposeResult:
        if self.view is not None:  # found already (the album lookup): no second mount
            self.title = f"Student: {self.view.name}"
        yield Header()
        with VerticalScroll(id="student-scroll"):
            if self.view is not None:
                yield self._pane()
            else:
                yield Static("Wczytywanie…", id="student-loading")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#student-scroll").focus()
        if self.view is not None:
            self._shown()
        else:
            self.load()
        self.query_one(KeyBar).rebuild()  # in the first frame, not one frame later

    def load(self) -> None:
        run_service(self, "student",
                    lambda ctx: load_student(ctx, album=self.album, person_id=self.person_id),
                    self._show, self._failed)

    def _failed(self, text: str) -> None:
        self.query_one("#student-scroll").remove_children()
        self.query_one("#student-scroll").mount(Static(literal(text), classes="error-text"))

    def _pane(self) -> StudentPane:
        assert self.view is not None
        hint = None
        if self.app.can(Permission.REVEAL_CODE):
            hint = f"klawisz {self._key('reveal')}"
        return StudentPane(self.view, qr=self.qr, codes=self.codes, reveal_hint=hint,
                           qr_hint=f"{self._key('qr')}: pokaż do zeskanowania")

    def _show(self, loaded: Found) -> None:
        self.view, self.qr = loaded
        scroll = self.query_one("#student-scroll", VerticalScroll)
        y = scroll.scroll_y
        with self.app.batch_update():
            scroll.remove_children()
            scroll.mount(self._pane())
        if y:
            scroll.call_after_refresh(scroll.scroll_to, y=y, animate=False)
        self._shown()

    def on_resize(self) -> None:
        # The room for the QR code changed (a taller or shorter terminal): after the layout.
        self.call_after_refresh(self._fit_qr)

    def _fit_qr(self) -> None:
        for pane in self.query(StudentPane):
            pane.fit_qr()

    def _shown(self) -> None:
        assert self.view is not None
        self.person_id = self.view.person_id
        self.title = f"Student: {self.view.name}"
        self.refresh_bindings()

    def _key(self, action: str) -> str:
        for active in self.active_bindings.values():
            if active.binding.action == action:
                return self.app.get_key_display(active.binding)
        return "?"

    # -- actions ----------------------------------------------------------------------------
    @property
    def current(self) -> OrderView | None:
        return self.view.current if self.view else None

    def action_state(self, action: str) -> bool | None:
        o = self.current
        if action == "reveal":
            ok = (o is not None and o.status is OrderStatus.DO_ODBIORU and o.has_activation_code
                  and not o.codes_expired and o.id not in self.codes)
            return ok or None
        if action in ("revoke", "cancel"):
            return (o is not None and o.status.is_live and not o.pending_action) or None
        if action == "refresh":
            return bool(self._live_ids()) or None
        if action == "qr":
            return self._scannable() or None
        return True

    def _scannable(self) -> bool:
        o = self.current
        return bool(self.qr and o is not None and o.status is OrderStatus.DO_ODBIORU and not o.codes_expired)

    def why_not(self, action: str) -> str | None:
        o, view = self.current, self.view
        if view is None:
            return "Dane studenta jeszcze się wczytują."
        if o is None:
            return f"{view.name} nie ma żadnego zamówienia."
        if action == "reveal":
            if o.codes_expired:
                return (f"Kody zamówienia {o.order_ref} wygasły: kodu aktywacyjnego nie da się już "
                        "użyć, więc nie jest pokazywany. Student musi anulować zamówienie i zamówić ponownie.")
            if o.id in self.codes:
                return "Kod aktywacyjny jest już pokazany."
            return (f"Bieżące zamówienie {o.order_ref} ma status „{o.status.label}”: "
                    "kod aktywacyjny jest tylko przy statusie „Do odbioru”.")
        if action in ("revoke", "cancel"):
            if o.pending_action:
                return (f"Zamówienie {o.order_ref} czeka już na potwierdzenie MC "
                        f"({o.pending_action.label}).")
            return f"Bieżące zamówienie {o.order_ref} ma status „{o.status.label}”: nie ma czego zakończyć."
        if action == "refresh":
            return f"{view.name} nie ma aktywnych zamówień do aktualizacji w MC."
        if action == "qr":
            if o.codes_expired:
                return f"Kody zamówienia {o.order_ref} wygasły: kodu QR nie da się już użyć."
            return (f"Bieżące zamówienie {o.order_ref} ma status „{o.status.label}”: "
                    "kod QR jest tylko przy statusie „Do odbioru”.")
        return None

    def _live_ids(self) -> list[int]:
        if self.view is None:
            return []
        return [o.id for o in self.view.orders if o.status.is_live or o.pending_action]

    def action_back(self) -> None:
        self.dismiss(None)

    def action_qr(self) -> None:
        o, view = self.current, self.view
        if o is None or view is None or not self.qr or not self._scannable():
            return
        self.app.push_screen(QRDialog(f"{view.name} · {o.order_ref}", o.qr_code or "", self.qr))

    def action_reveal(self) -> None:
        from mleg_tui.domain.text import visible
        from mleg_tui.screens.confirm import ConfirmDialog

        o, view = self.current, self.view
        if o is None or view is None:
            return
        line = visible(f"{view.name} ({view.album or 'bez numeru albumu'}) · {o.order_ref}")
        self.app.push_screen(
            ConfirmDialog("Pokazać kod aktywacyjny?",
                          f"{line}\n\nKod podaje się tylko studentowi, którego tożsamość sprawdzono. "
                          "Odsłonięcie trafi do historii zamówienia z Twoim loginem.", "Pokaż kod"),
            callback=lambda yes: self._reveal(o) if yes else None)

    def _reveal(self, o: OrderView) -> None:

        def job(ctx: Context) -> str:
            from mleg_tui.services.actions import reveal_activation_code

            return reveal_activation_code(ctx, o.id)

        def done(code: str) -> None:
            self.codes[o.id] = code
            self.load()  # the reveal is in the history now

        run_service(self, "reveal", job, done)

    def action_refresh(self) -> None:
        from mleg_tui.screens.refresh import RefreshScreen

        view = self.view
        if view is None:
            return
        self.app.push_screen(
            RefreshScreen(RefreshSelection(order_ids=self._live_ids()), f"zamówienia: {view.name} ({view.album})"),
            callback=lambda _: self.load())

    def action_revoke(self) -> None:
        from mleg_tui.screens.confirm import RevokeDialog

        o, view = self.current, self.view
        if o is None or view is None:
            return
        line = f"{view.name} ({view.album}) · {o.order_ref} · {o.status.label}"
        self.app.push_screen(RevokeDialog(f"zamówienie {o.order_ref}", [line]),
                             callback=lambda reason: self._revoke(o, reason))

    def action_cancel(self) -> None:
        from mleg_tui.domain.text import visible
        from mleg_tui.screens.cancel import ask_to_cancel

        o, view = self.current, self.view
        if o is None or view is None:
            return
        line = visible(f"{view.name} ({view.album or 'bez numeru albumu'}) · {o.order_ref} · {o.status.label}")
        ask_to_cancel(self, view.person_id, o.id, line, self.load)

    def _revoke(self, o: OrderView, reason: str | None) -> None:
        if not reason:
            return

        def job(ctx: Context) -> list[ActionResult]:
            from mleg_tui.services.actions import revoke_orders

            return revoke_orders(ctx, [o.id], reason, versions={o.id: o.version}, confirm_now=True)

        def done(results: list[ActionResult]) -> None:
            self.notify("\n".join(r.message for r in results), title="Unieważnienie", timeout=8)
            self.load()

        def failed(text: str) -> None:
            self.notify(text, title="Nie unieważniono", severity="error", timeout=10)
            self.load()

        run_service(self, "revoke", job, done, failed)
