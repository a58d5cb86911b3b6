"""The `mleg-tui` command: the TUI, the demo, and headless jobs for scripts and cron.

User errors end with one clear line on stderr and a non-zero exit, never a traceback.
Heavy modules are imported inside the commands that need them, to keep start-up quick.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

from mleg_tui.cli.argparse_pl import Parser, whole_number
from mleg_tui.domain.text import json_safe, visible
from mleg_tui.errors import MlegError, unexpected

if TYPE_CHECKING:
    import datetime as dt

    from mleg_tui.config import Settings
    from mleg_tui.services.context import Context

EXIT_USER = 2
EXIT_PARTIAL = 1
EXIT_INTERNAL = 70  # sysexits' EX_SOFTWARE: an error of the program itself
LOG_ENV = "MLEG_TUI_LOG_FILE"
MATCHES_AT_MOST = 20  # persons `student` lists; more: it says so


def _common() -> Parser:
    p = Parser(add_help=False)
    g = p.add_argument_group("ustawienia (mają pierwszeństwo przed zmiennymi i plikiem)")
    d = argparse.SUPPRESS  # accepted before or after the subcommand
    g.add_argument("--db", default=d, metavar="BAZA", help="plik SQLite albo adres bazy (MLEG_TUI_DB)")
    g.add_argument("--config", default=d, metavar="PLIK", help="plik konfiguracyjny TOML (MLEG_TUI_CONFIG)")
    g.add_argument("--today", default=d, metavar="DATA", help="stała data „dziś” RRRR-MM-DD (MLEG_TUI_TODAY)")
    g.add_argument("--read-only", action="store_true", default=d, help="tylko podgląd")
    g.add_argument("--as", dest="as_login", metavar="LOGIN", default=d,
                   help="kto działa: polecenie klucza SSH w instalacji biurowej (tylko konto usługi)")
    g.add_argument("--demo", action="store_true", default=d,
                   help="baza demonstracyjna zbudowana przez `mleg-tui demo`, na jej dzień")
    return p


def _app_start(argv: list[str]) -> argparse.Namespace | None:
    """The settings of an app start (no command, no --help), read without building every
    command's parser: that takes about 30 ms, an eighth of the start to the first screen.
    Anything else (a command, --help, a word it does not know) is None: the whole parser
    reads it, and says what is wrong as it always does."""
    args, rest = Parser(prog="mleg-tui", parents=[_common()], add_help=False).parse_known_args(argv)
    return None if rest else args


def build_parser() -> argparse.ArgumentParser:
    from mleg_tui.services.list_types import SORT_KEYS
    from mleg_tui.services.types import SEPARATORS

    common = _common()
    parser = Parser(
        prog="mleg-tui",
        description="Zamówienia mLegitymacji w dziekanacie: TUI i zadania wsadowe.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", metavar="POLECENIE", title="polecenia")

    def cmd(name: str, help: str, fn: Callable[..., int]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help, parents=[common])
        p.set_defaults(fn=fn)
        return p

    cmd("tui", "otwórz aplikację (domyślnie)", run_tui)
    p = cmd("demo", "demonstracja: przykładowa baza, symulator MC i aplikacja", run_demo)
    p.add_argument("--students", type=whole_number, default=2000, metavar="LICZBA",
                   help="ilu studentów ma przykładowa baza (domyślnie 2000)")
    p.add_argument("--seed", type=whole_number, default=7, metavar="LICZBA",
                   help="ziarno losowania: ta sama liczba daje tę samą bazę (domyślnie 7)")
    p.add_argument("--fresh", action="store_true", help="zbuduj bazę demonstracyjną od nowa")

    p = cmd("import", "importuj osoby i programy z pliku CSV", run_import)
    p.add_argument("file", metavar="PLIK", help="plik CSV z systemu ewidencji (nagłówek: zob. README)")
    p.add_argument("--skip-invalid", action="store_true", help="zaimportuj poprawne osoby, pomiń błędne")

    p = cmd("student", "widok studenta dla punktu obsługi", run_student)
    p.add_argument("who", nargs="+", metavar="KTO",
                   help="numer albumu, nazwisko i imię (w dowolnej kolejności, wystarczą początki, "
                        "polskie znaki niepotrzebne), cały PESEL, numer zamówienia albo tekst kodu QR; "
                        "gdy pasuje kilka osób, lista do wyboru")
    p.add_argument("--json", action="store_true", help="wszystko w JSON (dla programów)")

    p = cmd("orders", "lista zamówień (rysunek 11)", run_orders)
    p.add_argument("--query", "-q", default="", metavar="TEKST",
                   help="nazwisko i imię (dowolna kolejność, fragmenty), początek numeru albumu, cały "
                        "PESEL, numer zamówienia albo tekst kodu QR")
    p.add_argument("--from", dest="date_from", metavar="DATA", help="data zamówienia od (dd.mm.rrrr)")
    p.add_argument("--to", dest="date_to", metavar="DATA", help="data zamówienia do (dd.mm.rrrr)")
    p.add_argument("--status", nargs="+", action="extend", default=[], metavar="KOD",
                   help="tylko zamówienia w tych statusach (kod lub nazwa, np. DO_ODBIORU, „Do odbioru”)")
    p.add_argument("--error-code", default="", metavar="KOD",
                   help="tylko zamówienia z kodem błędu MC zaczynającym się tak (np. PESEL)")
    p.add_argument("--sort", default="ordered_at", choices=SORT_KEYS, metavar="KOLUMNA",
                   help="kolumna, po której sortować: " + ", ".join(SORT_KEYS) + " (domyślnie ordered_at)")
    p.add_argument("--asc", action="store_true", help="rosnąco (domyślnie najnowsze pierwsze)")
    p.add_argument("--limit", type=whole_number, default=0, metavar="LICZBA",
                   help="najwyżej tyle wierszy (0: wszystkie)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="w JSON (dla programów): lista obiektów")
    fmt.add_argument("--csv", action="store_true",
                     help="w CSV dla arkusza kalkulacyjnego (polski Excel: UTF-8 z BOM, średnik)")
    g = p.add_argument_group("eksport (z --csv albo --json; każdy zapisywany w dzienniku dostępu)")
    g.add_argument("--out", metavar="PLIK", help="zapisz do pliku (prywatnego, 0600) zamiast na wyjście")
    g.add_argument("--overwrite", action="store_true", help="zastąp istniejący plik --out")
    g.add_argument("--sep", choices=SEPARATORS, default=";", metavar="ZNAK",
                   help="separator pól CSV: ; (domyślnie, polski Excel) albo , (inne programy)")
    g.add_argument("--no-bom", action="store_true",
                   help="CSV bez znacznika BOM na początku (dla programów; Excel potrzebuje go, by czytać UTF-8)")
    g.add_argument("--pesel", action="store_true",
                   help="pełne numery PESEL zamiast zamaskowanych (tylko administrator)")

    p = cmd("order", "czynności studenta: zamów lub anuluj", run_order)
    p.add_argument("action", choices=["place", "cancel"], metavar="CZYNNOŚĆ",
                   help="place: złóż zamówienie, cancel: anuluj zamówienie")
    p.add_argument("album", metavar="ALBUM", help="numer albumu studenta")
    p.add_argument("--order", type=whole_number, metavar="NR", help="które zamówienie (gdy student ma kilka)")
    p.add_argument("--reason", default=None, metavar="POWÓD", help="powód anulowania (zapisany w historii)")

    p = cmd("revoke", "unieważnij zamówienie lub mLegitymację studenta", run_revoke)
    p.add_argument("album", metavar="ALBUM", help="numer albumu studenta")
    p.add_argument("--reason", required=True, metavar="POWÓD", help="powód unieważnienia (wymagany)")
    p.add_argument("--order", type=whole_number, metavar="NR", help="tylko to zamówienie")

    p = cmd("demo-data", "zbuduj przykładową bazę", run_demo_data)
    p.add_argument("--students", type=whole_number, default=1000, metavar="LICZBA",
                   help="ilu studentów zbudować (domyślnie 1000)")
    p.add_argument("--seed", type=whole_number, default=1, metavar="LICZBA",
                   help="ziarno losowania: ta sama liczba daje tę samą bazę (domyślnie 1)")
    p.add_argument("--replace", action="store_true", help="wyczyść bazę przed budową")

    cmd("mc-sim", "symulator serwisu MC (HTTP na loopback); opcje: mleg-tui mc-sim --help", run_mc_sim)

    p = cmd("refresh", "aktualizuj statusy zamówień w MC", run_refresh)
    p.add_argument("--album", nargs="+", action="extend", default=[], metavar="ALBUM",
                   help="tylko zamówienia tych studentów (numery albumów)")
    p.add_argument("--status", nargs="+", action="extend", default=[], metavar="KOD",
                   help="tylko zamówienia w tych statusach (kod lub nazwa)")
    p.add_argument("--concurrency", type=whole_number, default=None, metavar="LICZBA",
                   help="ile zapytań do MC naraz (domyślnie ustawienie mc_concurrency)")

    p = cmd("sweep", "unieważnij zamówienia osób, które straciły uprawnienia", run_sweep)
    p.add_argument("--dry-run", action="store_true", help="tylko pokaż, nic nie zmieniaj")

    p = cmd("runs", "raporty aktualizacji statusów i skryptu unieważniającego", run_runs)
    p.add_argument("show", nargs="*", metavar="show NR", help="cały raport jednego uruchomienia (NR z listy)")
    p.add_argument("--kind", choices=["refresh", "sweep"], help="tylko aktualizacje albo tylko skrypt")
    p.add_argument("--limit", type=whole_number, default=50, metavar="LICZBA",
                   help="najwyżej tyle raportów, najnowsze pierwsze (domyślnie 50; 0: wszystkie)")
    p.add_argument("--json", action="store_true", help="w JSON (dla programów)")

    p = cmd("audit", "kto co zrobił: dziennik zdarzeń i eksporty danych (administrator)", run_audit)
    p.add_argument("--login", default="", metavar="LOGIN", help="tylko zdarzenia tego loginu")
    p.add_argument("--from", dest="date_from", metavar="DATA", help="zapisane od dnia (dd.mm.rrrr)")
    p.add_argument("--to", dest="date_to", metavar="DATA", help="zapisane do dnia (dd.mm.rrrr)")
    p.add_argument("--action", default=None, metavar="CZYNNOŚĆ",
                   help="tylko ta czynność (kod lub nazwa, np. REVOKED, „unieważnienie”; "
                        "„eksport”: tylko eksporty danych)")
    p.add_argument("--student", default="", metavar="KTO",
                   help="tylko zamówienia studenta (bez eksportów): nr albumu, imię i nazwisko, PESEL, nr zamówienia")
    p.add_argument("--limit", type=whole_number, default=0, metavar="LICZBA",
                   help="najwyżej tyle zdarzeń, najnowsze pierwsze (0: wszystkie)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="eksport w JSON (dla programów; zapisany w śladzie eksportów)")
    fmt.add_argument("--csv", action="store_true",
                     help="eksport w CSV dla arkusza (UTF-8 z BOM, średnik: tak otwiera go polski Excel)")
    p.add_argument("--out", metavar="PLIK", help="eksport do pliku (prywatnego, 0600) zamiast na wyjście")
    p.add_argument("--overwrite", action="store_true", help="zastąp istniejący plik --out")

    from mleg_tui.cli.stats import add_parser as add_stats

    add_stats(cmd)

    from mleg_tui.cli.staff import add_parser as add_staff

    add_staff(cmd, Parser, common)
    return parser


# Helpers ---------------------------------------------------------------------------

def settings_for(args: argparse.Namespace) -> Settings:
    from mleg_tui.config import forget_environment, load_settings

    login = getattr(args, "as_login", None)
    forget_environment(login is not None)  # a staff member's session: the config file alone
    if getattr(args, "config", None):
        os.environ["MLEG_TUI_CONFIG"] = args.config
    if login is not None:
        from mleg_tui.services.context import check_as

        check_as(login)
    flags = dict(db=getattr(args, "db", None), today=getattr(args, "today", None),
                 read_only=True if getattr(args, "read_only", False) else None, login=login)
    if not getattr(args, "demo", False):
        return load_settings(**flags)
    from mleg_tui.demo.run import demo_mark_of, demo_store
    from mleg_tui.errors import UserError

    if flags["db"]:
        raise UserError("--demo to baza demonstracyjna: podaj --demo albo --db, nie oba.")
    store = demo_store()
    if not store.exists():
        raise UserError(f"Nie ma jeszcze bazy demonstracyjnej ({store}): zbuduj ją poleceniem `mleg-tui demo`.")
    flags["db"] = str(store)
    settings = load_settings(**flags)
    mark = demo_mark_of(str(store))
    if mark and settings.today is None:  # the day the demo was built for, unless told another
        settings = load_settings(**{**flags, "today": mark})
    return settings


def context_for(args: argparse.Namespace, *, create: bool = False) -> Context:
    """The store with the role services.context decides for the command line (full
    rights without [roles], as the shell tool of people who own the store anyway). Only a
    command that brings data in (`create`) makes a new store; the others say there is none."""
    return _open(settings_for(args), create)


def _open(settings: Any, create: bool) -> Context:
    from mleg_tui.services.context import open_context

    ctx = open_context(settings, cli=True, create=create)
    ctx.attended = sys.stdin.isatty()  # without a terminal: cron or a script (the run reports)
    _OPENED.append(ctx)
    for warning in ctx.warnings:
        _err(f"mleg-tui: uwaga: {warning}")
    return ctx


# Closed as the command ends, not whenever the garbage collector gets to the engine: an
# SQLite store's -wal and -shm files go with its last connection.
_OPENED: list[Context] = []


def _out(text: str = "") -> None:
    """A line (or lines) for a person: no control character from the data reaches the
    terminal (a cron mail, a pipe) raw."""
    sys.stdout.write(visible(text, newlines=True) + "\n")


def _err(text: str) -> None:
    sys.stderr.write(visible(text, newlines=True) + "\n")


def _parse_date_arg(text: str | None, what: str) -> dt.date | None:
    from mleg_tui.domain.dates import parse_optional_date
    from mleg_tui.errors import UserError

    try:
        return parse_optional_date(text)
    except ValueError as e:
        raise UserError(f"{what}: {e}.") from None


# Commands --------------------------------------------------------------------------

def run_import(args: argparse.Namespace) -> int:
    from mleg_tui.services.importer import import_file

    settings = settings_for(args)
    report = import_file(lambda create: _open(settings, create), args.file,
                         skip_invalid=args.skip_invalid, max_bytes=settings.import_max_mb * 2**20)
    if report.bad:
        _err(f"Błędne wiersze ({report.bad_total}), pominięte:")
        for b in report.bad:
            _err(f"  {b}")
        if report.bad_total > len(report.bad):
            _err(f"  … i {report.bad_total - len(report.bad)} dalszych")
    _out(report.summary())
    return EXIT_PARTIAL if report.bad else 0


def run_student(args: argparse.Namespace) -> int:
    """Whatever the lookup takes: one person found is shown; several are listed, each with
    what to type to show that one (exit status 1: no student was shown); none is an error."""
    import json

    from mleg_tui.cli.textviews import match_lines, student_text
    from mleg_tui.domain.pesel import mask_in
    from mleg_tui.errors import NotFound
    from mleg_tui.services.students import lookup, student_view

    ctx = context_for(args)
    wanted = " ".join(args.who)
    found = lookup(ctx, wanted, limit=MATCHES_AT_MOST + 1)
    if isinstance(found, int):
        view = student_view(ctx, person_id=found)
        _out(json_safe(json.dumps(view.as_json(), ensure_ascii=False, indent=2)) if args.json
             else student_text(view))
        return 0
    if not found:
        raise NotFound(f"Nie znaleziono studenta: „{mask_in(wanted)}”. Podaj numer albumu, nazwisko "
                       "i imię (w dowolnej kolejności, wystarczą początki), cały PESEL, numer "
                       "zamówienia albo tekst kodu QR.")
    shown, more = found[:MATCHES_AT_MOST], len(found) > MATCHES_AT_MOST
    if args.json:
        _out(json_safe(json.dumps({"matches": [m.as_json() for m in shown], "more": more},
                                  ensure_ascii=False, indent=2)))
    else:
        _out(match_lines(mask_in(wanted), shown, more))
    return EXIT_PARTIAL


def run_orders(args: argparse.Namespace) -> int:
    """The list as text for a person; --csv / --json an export (services.export): to
    --out or to stdout, traced either way."""
    from mleg_tui.cli.textviews import write_orders
    from mleg_tui.domain.status import parse_status
    from mleg_tui.errors import UserError
    from mleg_tui.services.list_types import OrderQuery
    from mleg_tui.services.orders import count_orders, iter_orders

    kind = "json" if args.json else "csv" if args.csv else "text"
    if kind == "text":
        given = [o for o, on in (("--out", args.out), ("--pesel", args.pesel), ("--overwrite", args.overwrite),
                                 ("--no-bom", args.no_bom), ("--sep", args.sep != ";")) if on]
        if given:
            raise UserError(f"{given[0]}: tylko z eksportem, --csv albo --json.")
    q = OrderQuery(
        text=args.query,
        date_from=_parse_date_arg(args.date_from, "--from"),
        date_to=_parse_date_arg(args.date_to, "--to"),
        statuses=frozenset(parse_status(s) for s in args.status),
        error_code=args.error_code,
        sort=args.sort,
        descending=not args.asc,
    )
    if q.date_from and q.date_to and q.date_from > q.date_to:
        raise UserError("Data „od” jest późniejsza niż data „do”.")
    ctx = context_for(args)
    if kind != "text":
        return _export_orders(ctx, q, args, kind)
    total = count_orders(ctx, q)
    shown = min(total, args.limit) if args.limit > 0 else total
    rows = iter_orders(ctx, q)
    if args.limit > 0:
        import itertools

        rows = itertools.islice(rows, args.limit)
    write_orders(sys.stdout, rows, total=total, shown=shown)
    return 0


def _export_orders(ctx: Context, q: Any, args: argparse.Namespace, kind: Any) -> int:
    from mleg_tui.services.export import export_orders
    from mleg_tui.services.types import ExportOptions

    options = ExportOptions(format=kind, separator=args.sep, bom=not args.no_bom, pesel=args.pesel,
                            overwrite=args.overwrite)
    show = _progress_printer() if args.out else None
    target: Path | IO[bytes] = Path(args.out) if args.out else _stdout_bytes()
    result = export_orders(ctx, q, target, options, via="CLI", limit=args.limit,
                           progress=(lambda p: show(f"{p.done}/{p.total}")) if show else None)
    if show:
        show("")
    if args.out:
        _out(result.text())
    return 0


def _stdout_bytes() -> IO[bytes]:
    """stdout as bytes: its buffer, or (stdout replaced by a text stream: a test, a program
    that runs main()) a writer decoding into it."""
    buffer: IO[bytes] | None = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        sys.stdout.flush()
        return buffer
    return io.BufferedWriter(_TextSink(sys.stdout))


class _TextSink(io.RawIOBase):
    def __init__(self, text: TextIO) -> None:
        import codecs

        self._text, self._decoder = text, codecs.getincrementaldecoder("utf-8")()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self._text.write(self._decoder.decode(bytes(b)))
        return len(b)


def run_order(args: argparse.Namespace) -> int:
    from mleg_tui.services import actions

    ctx = context_for(args)
    if args.action == "place":
        result = actions.place_order(ctx, args.album)
    else:
        result = actions.cancel_order(ctx, args.album, order_id=args.order, reason=args.reason,
                                      confirm_now=True)
    _out(result.message)
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from mleg_tui.services import actions

    ctx = context_for(args)
    results = actions.revoke_student(ctx, args.album, args.reason, order_id=args.order, confirm_now=True)
    for r in results:
        _out(f"{visible(r.person)} ({visible(r.album)}): {r.message}")
    return 0


def run_demo_data(args: argparse.Namespace) -> int:
    from mleg_tui.demo.data import build_demo

    if args.students < 1:
        from mleg_tui.errors import UserError

        raise UserError("--students: podaj liczbę dodatnią.")
    ctx = context_for(args, create=True)
    stats = build_demo(ctx, students=args.students, seed=args.seed, replace=args.replace,
                       progress=_progress_printer())
    _out(stats.summary())
    return 0


def _progress_printer() -> Callable[[str], None] | None:
    """On a terminal: a callable that rewrites one status line on stderr ("" clears it)."""
    if not sys.stderr.isatty():
        return None

    def show(msg: str) -> None:
        # sys.stderr writes through to the terminal at once: no flush needed.
        sys.stderr.write(f"\r\033[K{msg}")

    return show


def run_mc_sim(args: argparse.Namespace) -> int:  # reached only through `main`'s shortcut
    from mleg_tui.simulator.server import main as sim_main

    return int(sim_main([]) or 0)


def run_refresh(args: argparse.Namespace) -> int:
    """Live progress on a terminal, a summary, failures listed. Exit status: 0 all done,
    1 some orders not refreshed (listed), 130 interrupted."""
    from mleg_tui.domain.status import parse_status
    from mleg_tui.services.mc_sync import refresh
    from mleg_tui.services.types import RefreshSelection

    sel = RefreshSelection(
        albums=list(args.album) or None,
        statuses=frozenset(parse_status(x) for x in args.status) or None,
    )
    show = _progress_printer()
    summary = refresh(context_for(args), sel, concurrency=args.concurrency,
                      on_progress=(lambda p: show(p.line())) if show else None)
    if show:
        show("")
    _out(summary.text())
    if summary.failures:
        _out(f"Nie udało się zaktualizować ({len(summary.failures)}):")
        for f in summary.failures:
            _out(f"  {f}")
    if summary.cancelled:
        return 130
    return 1 if summary.failures else 0


def run_sweep(args: argparse.Namespace) -> int:
    """A summary a cron mail can be read from. Exit status: 0 done, 1 some orders failed,
    130 interrupted (what was done is kept, and in its report)."""
    from mleg_tui.services.sweep import run_sweep

    ctx = context_for(args)
    summary = run_sweep(ctx, dry_run=args.dry_run)
    _out(summary.text())
    if not ctx.settings.mc_url and (summary.pending or summary.earlier_pending):
        _out("Uwaga: brak konfiguracji MC (mc_url) — unieważnienia czekają, aż ktoś uruchomi "
             "`mleg-tui refresh` lub sweep z dostępem do MC.")
    if summary.cancelled:
        return 130
    return 1 if summary.failures else 0


def run_runs(args: argparse.Namespace) -> int:
    """`runs`: the list, newest first; `runs show N`: one whole report."""
    import json

    from mleg_tui.domain.runs import RunKind
    from mleg_tui.errors import UserError
    from mleg_tui.services.runs import list_runs, run_report

    number = None
    if args.show:
        words = list(args.show)
        if words[0] != "show" or len(words) != 2 or not words[1].isdigit():
            raise UserError("Napisz `mleg-tui runs` (lista) albo `mleg-tui runs show NR` (jeden raport, "
                            "NR z listy).")
        number = int(words[1])
    ctx = context_for(args)
    if number is not None:
        report = run_report(ctx, number)
        _out(json_safe(json.dumps(report.as_json(), ensure_ascii=False, indent=2)) if args.json
             else report.text())
        return 0
    kind = RunKind(args.kind.upper()) if args.kind else None
    runs = list_runs(ctx, limit=args.limit or 10**9, kind=kind)
    if args.json:
        _out(json_safe(json.dumps([r.as_json() for r in runs], ensure_ascii=False, indent=2)))
    elif not runs:
        _out("Brak raportów: żadna aktualizacja statusów ani skrypt unieważniający nie działały "
             "jeszcze na tej bazie (albo żaden nie pasuje do --kind).")
    else:
        from mleg_tui.services.report_types import RunView

        _out(RunView.LIST_HEAD)
        for r in runs:
            _out(r.line())
        _out("Cały raport: mleg-tui runs show NR")
    return 0


def run_audit(args: argparse.Namespace) -> int:
    """`audit`: who did what (order events and exports), newest first (text, JSON or a spreadsheet's CSV)."""
    import itertools

    from mleg_tui.domain.events import parse_audit_action
    from mleg_tui.errors import UserError
    from mleg_tui.services.audit import check, iter_events
    from mleg_tui.services.report_types import AuditQuery

    q = AuditQuery(login=args.login, action=parse_audit_action(args.action) if args.action else None,
                   date_from=_parse_date_arg(args.date_from, "--from"),
                   date_to=_parse_date_arg(args.date_to, "--to"), student=args.student)
    check(q)
    ctx = context_for(args)
    if args.csv or args.json:
        from mleg_tui.services.audit import export_audit
        from mleg_tui.services.types import ExportOptions

        options = ExportOptions(format="json" if args.json else "csv", overwrite=args.overwrite)
        target: Path | IO[bytes] = Path(args.out) if args.out else _stdout_bytes()
        result = export_audit(ctx, q, target, options, via="CLI", limit=args.limit)
        if args.out:
            _out(result.text())
        return 0
    if args.out or args.overwrite:
        raise UserError(f"{'--out' if args.out else '--overwrite'}: tylko z eksportem, --csv albo --json.")
    lines = iter_events(ctx, q)
    if args.limit > 0:
        lines = itertools.islice(lines, args.limit)
    n = 0
    for n, line in enumerate(lines, 1):  # noqa: B007 - the count is said after
        _out(line.line())
    if not n:
        _out("Brak zdarzeń i eksportów pasujących do filtru.")
    return 0


def run_tui(args: argparse.Namespace) -> int:
    from mleg_tui.errors import UserError

    if not (sys.stdin.isatty() and sys.stdout.isatty()):  # e.g. `ssh host bash`: no pty asked for
        raise UserError("Aplikacja potrzebuje terminala: uruchom ją w terminalu "
                        "(przez SSH: ssh -t ...); polecenia wsadowe: mleg-tui --help.")
    settings = settings_for(args)
    from mleg_tui.frames import quick_frames
    from mleg_tui.services.order_rows import read_aside

    quick_frames()
    aside = read_aside(settings)  # before Textual: on the other core meanwhile
    from mleg_tui.app import run_app

    return run_app(settings, first_aside=aside)


def run_demo(args: argparse.Namespace) -> int:
    from mleg_tui.demo.run import run_demo as demo

    return demo(args)


class _LogFile(logging.FileHandler):
    """The program's log: opened at the first record only (most runs write none), private
    to its owner; a log that cannot be written never disturbs the command. Its place is
    looked up then, not at start: a staff session (--as) has dropped MLEG_TUI_* by then,
    so only the service account's own default is used."""

    def _open(self) -> io.TextIOWrapper:
        self.baseFilename = str(log_file())
        path = Path(self.baseFilename)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return io.TextIOWrapper(io.FileIO(fd, "a"), encoding="utf-8", line_buffering=True)

    def handleError(self, record: logging.LogRecord) -> None:
        pass


def log_file() -> Path:
    """MLEG_TUI_LOG_FILE, or mleg-tui.log in the user's log folder."""
    if os.environ.get(LOG_ENV):
        return Path(os.environ[LOG_ENV]).expanduser().absolute()
    import platformdirs

    return Path(platformdirs.user_log_dir("mleg-tui")) / "mleg-tui.log"


class _Warnings(logging.Handler):
    """Warnings meant for the user (an MC address without TLS, say) on stderr as they
    always came (the message alone, to whatever sys.stderr is now: the TUI captures it);
    errors' details go to the log file only."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.addFilter(lambda record: record.levelno < logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(visible(record.getMessage(), newlines=True) + "\n")
        except Exception:  # noqa: BLE001 - a warning must never end the command
            pass


@contextlib.contextmanager
def _logs() -> Iterator[None]:
    """While a command runs, records of mleg_tui's loggers (warnings and errors, never
    personal data) go to the log file; warnings to stderr too, errors not: there the user
    gets one line. (Removed again afterwards: main() may run inside another program.)"""
    logger = logging.getLogger("mleg_tui")
    to_file = _LogFile(str(log_file()), delay=True, encoding="utf-8")
    to_file.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"))
    handlers = [to_file, _Warnings()]
    for h in handlers:
        logger.addHandler(h)
    try:
        yield
    finally:
        for h in handlers:
            logger.removeHandler(h)
            h.close()


def _failure(e: Exception) -> tuple[str, int]:
    """Any other error as one line: a database error says what happened and what to do
    (never SQLAlchemy's text: it holds the statement's parameters, names and PESELs)."""
    from mleg_tui.errors import is_database_error

    if is_database_error(e):
        from mleg_tui.store.engine import database_error

        return str(database_error(e)), EXIT_USER
    return unexpected(e), EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    with _logs():
        return _main(list(sys.argv[1:] if argv is None else argv))


def _main(argv: list[str]) -> int:
    if argv[:1] == ["mc-sim"]:
        # The simulator has options of its own (--port, --fail-5xx, ...): it parses them.
        from mleg_tui.simulator.server import main as sim_main

        return int(sim_main(argv[1:]) or 0)
    args = _app_start(argv) or build_parser().parse_args(argv)
    fn = getattr(args, "fn", run_tui)
    try:
        return fn(args)
    except MlegError as e:
        _err(f"mleg-tui: {e}")
        return EXIT_USER
    except KeyboardInterrupt:
        sys.stderr.write("\nmleg-tui: przerwano.\n")
        return 130
    except BrokenPipeError:
        # The reader (head, less) went away: not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:  # noqa: BLE001 - the user gets one line, never a traceback
        text, code = _failure(e)
        _err(f"mleg-tui: {text}")
        return code
    finally:
        while _OPENED:
            _OPENED.pop().engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
