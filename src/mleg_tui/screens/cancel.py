"""Cancel at the student's request (the desk's "Anuluj mLegitymację" on their behalf),
from the order list and the student screen alike: a dialog naming the order, then one
service call that records it as the student's cancellation under the staff login and,
where MC is configured, asks MC at once."""
from __future__ import annotations

from collections.abc import Callable

from mleg_tui.screens.base import BaseScreen, run_service
from mleg_tui.services.context import Context
from mleg_tui.services.types import ActionResult

NOTE = ("Status zmieni się na „Anulowane przez użytkownika” (anulowanie na prośbę studenta; "
        "w historii z Twoim loginem). Zamówienie przekazane już do MC czeka na jego potwierdzenie.")


def ask_to_cancel(screen: BaseScreen, person_id: int, order_id: int, line: str,
                  after: Callable[[], None]) -> None:
    """Ask, naming the order (`line`); on yes cancel it, say how it went, then `after()`."""
    from mleg_tui.screens.confirm import ConfirmDialog

    def job(ctx: Context) -> ActionResult:
        from mleg_tui.services.actions import cancel_order

        return cancel_order(ctx, None, person_id=person_id, order_id=order_id, confirm_now=True)

    def done(result: ActionResult) -> None:
        screen.notify(result.message, title="Anulowanie na prośbę studenta", timeout=8)
        after()

    def failed(text: str) -> None:
        screen.notify(text, title="Nie anulowano", severity="error", timeout=10)
        after()

    def answered(yes: bool | None) -> None:
        if yes:
            run_service(screen, "cancel", job, done, failed)

    screen.app.push_screen(
        ConfirmDialog("Anulować zamówienie na prośbę studenta?", f"{line}\n\n{NOTE}",
                      "Anuluj zamówienie", back="Nie anuluj"),
        callback=answered)
