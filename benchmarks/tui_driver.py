"""One run of the TUI benchmark, in a fresh process started by bench_tui.py. Not a test.

    python benchmarks/tui_driver.py T0 bare|app PLAN.json OUT.pickle

T0 is the parent's time.monotonic() just before it started this process (CLOCK_MONOTONIC
is one clock for every process on Linux), so "first frame" counts the interpreter's own
start and every import. Nothing is imported here before the app needs it: the driver's
own imports are the stdlib modules an app would have loaded anyway.

A frame "shows" something when Textual's compositor has rendered it into an update for
the terminal (App._display; headless, the bytes are not written, everything else is
the same). The hooks below record the instant of the first frame in which a condition
holds, e.g. "the order table drew rows of the new list"; the lines the table drew since
the previous frame are counted in OrderTable.render_line. The conditions read only what
the widgets show the screen (row_count, generation, total, loaded_rows(), scroll_y,
FilterBar.current, is_on_screen) and the line each render_line returned: no private
attribute, so a checkout from before or after a change of the widgets' insides runs too.

`bare`: a tiny Textual app (one Static); the time to its first frame is the floor.
`app`:  the real program, started the way `mleg-tui tui` starts it (argument parser,
settings from file < env < flags, MlegApp), headless at the plan's terminal size, then
driven with Pilot: page-downs, filter words, album and name lookups, a jump to the end (the plan's
"steps": "first" stops at the first screen). The SQL
each step sent (from the worker that fetched what the step waited for) is kept, so the
parent can run the very same statements directly against the database.
"""
from __future__ import annotations

import asyncio
import os
import sys
import time

T0 = float(sys.argv[1])
MODE = sys.argv[2]
PLAN_PATH = sys.argv[3]
OUT_PATH = sys.argv[4]


class Probe:
    """What the table drew since the last frame, and the condition a step waits for."""

    def __init__(self) -> None:
        self.real = 0  # lines of rows of the current list (not stale, not placeholders)
        self.placeholder = 0
        self.drawn: list[str] = []  # persons on the real lines drawn since the last frame
        self.cond = None
        self.hit: float | None = None
        self.event: asyncio.Event | None = None
        self.frames = 0
        self.cpu = 0.0  # process CPU time when the condition was met
        self.drawn_at_hit: list[str] = []  # persons drawn in the frame that met it

    def arm(self, cond) -> None:  # type: ignore[no-untyped-def]
        self.cond, self.hit = cond, None
        self.event = asyncio.Event()

    def frame(self, app) -> None:  # type: ignore[no-untyped-def]
        now = time.monotonic()
        self.frames += 1
        if self.cond is not None:
            try:
                ok = self.cond(app)
            except Exception:  # noqa: BLE001 - a widget not there yet
                ok = False
            if ok:
                self.hit, self.cond = now, None
                self.cpu = time.process_time()
                self.drawn_at_hit = list(self.drawn)
                if self.event is not None:
                    self.event.set()
        self.real = self.placeholder = 0
        self.drawn = []


PROBE = Probe()


def rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def hook_display(cls) -> None:  # type: ignore[no-untyped-def]
    original = cls._display

    def _display(self, screen, renderable):  # type: ignore[no-untyped-def]
        original(self, screen, renderable)
        if renderable is not None and not self._batch_count:
            PROBE.frame(self)

    cls._display = _display


def save(result: dict) -> None:  # type: ignore[type-arg]
    import pickle

    with open(OUT_PATH, "wb") as f:
        pickle.dump(result, f)


def load_plan() -> dict:  # type: ignore[type-arg]
    import json

    with open(PLAN_PATH) as f:
        return json.load(f)


# -- the floor: a bare Textual app ------------------------------------------------------------

def run_bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("Zamówienia mLegitymacji")

    hook_display(Bare)
    PROBE.cond = lambda app: True
    plan = load_plan()

    async def main() -> None:
        PROBE.event = asyncio.Event()
        app = Bare()
        async with app.run_test(headless=True, size=tuple(plan["size"])):
            await asyncio.wait_for(PROBE.event.wait(), 30)

    asyncio.run(main())
    assert PROBE.hit is not None
    save({"first": PROBE.hit - T0, "cpu_first": PROBE.cpu, "rss_first": rss_now(),
          "peak_rss": peak_rss()})


# -- the real app ---------------------------------------------------------------------------------

def run_app() -> None:
    plan = load_plan()
    from mleg_tui.cli import build_parser, settings_for

    args = build_parser().parse_args(["--db", plan["db"], "--today", plan["today"], "tui"])
    settings = settings_for(args)
    from mleg_tui.app import MlegApp
    from mleg_tui.widgets.order_table import OrderTable

    hook_display(MlegApp)
    render_lines, render_line = OrderTable.render_lines, OrderTable.render_line
    loaded: dict[int, object] = {}  # the rows of the current list, by index, for one pass

    def counting_render_lines(self, crop):  # type: ignore[no-untyped-def]
        loaded.clear()
        loaded.update((row.lp - 1, row) for row in self.loaded_rows())
        return render_lines(self, crop)

    def counting_render_line(self, y):  # type: ignore[no-untyped-def]
        strip = render_line(self, y)
        if y > 0:
            index = int(self.scroll_y) + y - 1
            row = loaded.get(index)
            if row is not None:
                PROBE.real += 1
                PROBE.drawn.append(row.person)  # type: ignore[attr-defined]
            elif index < self.row_count and strip.text.strip() == "…":
                PROBE.placeholder += 1  # (not loaded, not a placeholder: the old list's row)
        return strip

    OrderTable.render_lines = counting_render_lines
    OrderTable.render_line = counting_render_line
    PROBE.cond = lambda app: PROBE.real > 0
    asyncio.run(drive(MlegApp(settings), plan))


async def drive(app, plan: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    PROBE.event = asyncio.Event()
    result: dict = {"page_down": [], "filter": [], "debounce": [], "filter_after_debounce": [],
                    "lookup": [], "lookup_name": [], "end": [], "sql": {}, "mismatch": 0, "errors": []}
    async with app.run_test(headless=True, size=tuple(plan["size"])) as pilot:
        await asyncio.wait_for(PROBE.event.wait(), 120)
        result["first"] = PROBE.hit - T0
        result["cpu_first"] = PROBE.cpu
        result["rss_first"] = rss_now()
        if plan.get("steps") == "first":
            result["peak_rss"] = peak_rss()
            save(result)
            return
        from mleg_tui.domain.names import fold
        from mleg_tui.widgets.filter_bar import FilterBar

        table = app.screen.query_one("OrderTable")
        sql = SqlCapture()
        await settled(pilot, table)
        result["total"] = table.total
        h = body_height(table)

        async def step(name: str, groups: set[str], key: str, cond, timeout: float = 60,
                       sql_until_settled: bool = False) -> float:  # type: ignore[no-untyped-def]
            sql.start(groups)
            PROBE.arm(cond)
            t0 = time.monotonic()
            await pilot.press(key)
            await asyncio.wait_for(PROBE.event.wait(), timeout)  # type: ignore[union-attr]
            if sql_until_settled:  # the read-ahead that this step set off (page-down)
                await settled(pilot, table)
            sql.stop(name, result)
            return PROBE.hit - t0  # type: ignore[operator]

        # 1. page-down, from the top of the whole list
        for _ in range(plan["page_downs"]):
            target = int(table.scroll_y) + h

            def paged(a, target=target) -> bool:  # type: ignore[no-untyped-def]
                return (int(table.scroll_y) == target and PROBE.real > 0 and PROBE.placeholder == 0
                        and rows_in_view(table))
            result["page_down"].append(await step("page_down", {"rows", "rows-ahead"}, "pagedown",
                                                  paged, sql_until_settled=True))
            await settled(pilot, table)
        await pilot.press("home")
        await settled(pilot, table)

        # 2. filter words, each typed into the empty name filter, then cleared again
        bar = app.screen.query_one(FilterBar)
        applied: list[float] = []
        apply = bar.apply

        def timed_apply() -> None:
            applied.append(time.monotonic())
            apply()

        bar.apply = timed_apply  # the debounce timer calls self.apply
        for word in plan["words"]:
            await pilot.press("slash")
            for ch in word[:-1]:
                await pilot.press(ch)
            gen0 = table.generation

            # The filter the bar announced: its `current` is a Filter before the bar produced
            # an OrderQuery and that OrderQuery after; both have the typed words in `text`.
            def filtered(a, word=word, gen0=gen0) -> bool:  # type: ignore[no-untyped-def]
                return (bar.current.text == word and table.generation > gen0
                        and PROBE.real > 0 and rows_in_view(table))
            applied.clear()
            t0 = time.monotonic()  # (step's own t0 is taken just after: the same moment)
            took = await step("filter", {"rows"}, word[-1], filtered)
            drawn = [fold(p) for p in PROBE.drawn_at_hit]
            if not applied:
                result["errors"].append(f"filter {word!r}: the debounce did not fire")
            else:
                result["debounce"].append(applied[-1] - t0)
                result["filter_after_debounce"].append(PROBE.hit - applied[-1])  # type: ignore[operator]
            result["filter"].append(took)
            words = word.split()
            result["mismatch"] += sum(1 for p in drawn if not all(w in p for w in words))
            await settled(pilot, table)
            field = app.screen.query_one("#f-text")
            field.value = ""
            gen1 = table.generation
            PROBE.arm(lambda a, gen1=gen1: table.generation > gen1 and PROBE.real > 0)
            sql.start({"rows"})
            await pilot.press("escape")  # applies at once and goes back to the table
            await asyncio.wait_for(PROBE.event.wait(), 60)  # type: ignore[union-attr]
            sql.stop("first_page", result)
            await settled(pilot, table)

        # 3. album lookups: l, the number, Enter -> the student's pane
        for album in plan["albums"]:
            await pilot.press("l")
            for ch in album:
                await pilot.press(ch)

            def shown(a, album=album) -> bool:  # type: ignore[no-untyped-def]
                """The student screen, with this student's pane drawn to its last part."""
                s = a.screen
                if type(s).__name__ != "StudentScreen":
                    return False
                return any(p.view.album == album and p.is_on_screen
                           and any(h.is_on_screen for h in p.query("#history"))
                           for p in s.query("StudentPane"))
            result["lookup"].append(await step("lookup", {"lookup", "student"}, "enter", shown))
            await pilot.press("escape")
            await settled(pilot, app.screen.query_one("OrderTable"))

        # 3b. name lookups: l, "surname first name", Enter -> the list of matches (a
        # million orders hold several of most names) or, for one, the student's pane. A
        # checkout whose lookup takes album numbers only has no list: the step is left out.
        from mleg_tui.services import students

        names = plan.get("names", []) if hasattr(students, "find_students") else []
        for name in names:
            await pilot.press("l")
            for ch in name:
                await pilot.press(ch)

            def found(a) -> bool:  # type: ignore[no-untyped-def]
                s = a.screen
                if type(s).__name__ == "StudentScreen":
                    return any(h.is_on_screen for p in s.query("StudentPane") for h in p.query("#history"))
                if type(s).__name__ != "LookupScreen":
                    return False
                listed = s.query("#lookup-matches")
                return bool(listed) and listed.first().option_count > 0 and listed.first().is_on_screen
            result["lookup_name"].append(await step("lookup_name", {"lookup", "student"}, "enter", found))
            while type(app.screen).__name__ != "OrdersScreen":  # the list: Esc to the field, Esc
                await pilot.press("escape")
            await settled(pilot, app.screen.query_one("OrderTable"))

        # 4. a jump to the end of the whole list
        table = app.screen.query_one("OrderTable")

        def at_end(a) -> bool:  # type: ignore[no-untyped-def]
            n = table.row_count
            return (n > 0 and int(table.scroll_y) + body_height(table) >= n and PROBE.real > 0
                    and PROBE.placeholder == 0 and rows_in_view(table))
        result["end"].append(await step("end", {"rows"}, "end", at_end))
        await settled(pilot, table)
        result["frames"] = PROBE.frames
    result["peak_rss"] = peak_rss()
    result["rss_end"] = rss_now()
    save(result)


def body_height(table) -> int:  # type: ignore[no-untyped-def]
    """Lines of rows in the table's view (its content less the header line)."""
    return max(table.scrollable_content_region.height - 1, 1)


def rows_in_view(table) -> bool:  # type: ignore[no-untyped-def]
    """Every line in view is a row of the current list (not the old list's, not "…")."""
    top = int(table.scroll_y)
    end = min(top + body_height(table), table.row_count)
    have = {row.lp - 1 for row in table.loaded_rows()}
    return end > top and all(i in have for i in range(top, end))


async def settled(pilot, table) -> None:  # type: ignore[no-untyped-def]
    """Every worker done (the count too), every message handled, the view's rows in, and
    still so after one more round (a read set off after a frame has started by then)."""
    app = pilot.app
    deadline = time.monotonic() + 120
    from textual.worker import WorkerCancelled

    quiet = 0
    while time.monotonic() < deadline and quiet < 2:
        try:
            await app.workers.wait_for_complete()
        except WorkerCancelled:  # an exclusive worker replaced by a newer one
            continue
        await pilot.pause()
        done = (app.ctx is not None and table.total is not None
                and (table.row_count == 0 or rows_in_view(table))
                and not any(w.is_running for w in app.workers))
        quiet = quiet + 1 if done else 0
        await pilot.pause(0.02)
    await pilot.pause(0.05)


class SqlCapture:
    """The statements a step sent, from the workers that fetched what it waited for."""

    def __init__(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        self.groups: set[str] = set()
        self.got: list[tuple[str, object]] = []
        event.listen(Engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if not self.groups:
            return
        from textual.worker import NoActiveWorker, get_current_worker

        try:
            group = get_current_worker().group
        except NoActiveWorker:
            return
        if group in self.groups:
            self.got.append((statement, parameters))

    def start(self, groups: set[str]) -> None:
        self.groups, self.got = groups, []

    def stop(self, name: str, result: dict) -> None:  # type: ignore[type-arg]
        result["sql"].setdefault(name, []).append(self.got)
        self.groups, self.got = set(), []


if __name__ == "__main__":
    try:
        run_bare() if MODE == "bare" else run_app()
    except BaseException as e:  # noqa: BLE001 - the parent reports it
        import traceback

        save({"error": f"{e.__class__.__name__}: {e}", "trace": traceback.format_exc()})
        raise
