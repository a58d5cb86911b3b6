"""Exports of a list to CSV or JSON, for a spreadsheet or a program: the TUI's export
dialog and `mleg-tui orders --csv/--json` alike.

- Streamed: rows are read a window at a time (services.orders.iter_orders, keyset paging
  as the table does), so a million rows never sit in memory.
- Whole or not at all: written to a private temporary file (0600: personal data) beside the
  target, renamed into place at the end; an existing file is replaced only when asked.
- Traced: before the file appears (or stdout gets a byte), the export is recorded
  (services.access). When the record cannot be written, nothing is exported.
- CSV for Polish Excel: UTF-8 with a BOM, `;` (Polish Excel's list separator, since the
  comma is the decimal comma), every cell quoted and none a formula (spreadsheet_cell),
  dates as the order list writes them (2025-09-03 22:20:32, which Excel reads as a date).
  JSON: a list of objects, ISO 8601 times with their offset, no raw control character.
- PESEL masked (the last four digits) unless the user asks and the role may
  (Permission.EXPORT_PESEL); activation codes and QR texts are never exported.
"""
from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import itertools
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlmodel import col, select

from mleg_tui.domain.dates import list_date, list_datetime
from mleg_tui.domain.events import ExportedList
from mleg_tui.domain.pesel import mask
from mleg_tui.domain.text import json_safe, spreadsheet_cell
from mleg_tui.errors import MlegError, UserError
from mleg_tui.services.access import record_access
from mleg_tui.services.context import Context, Permission
from mleg_tui.services.list_types import OrderQuery, OrderRow
from mleg_tui.services.types import EXPORT_FORMATS, SEPARATORS, STDOUT, ExportOptions, ExportProgress, ExportResult
from mleg_tui.store import reading
from mleg_tui.store.models import Person

Value = str | int | bool | dt.date | dt.datetime | None
CHUNK = 1000  # rows read (and PESELs looked up) at a time
BOM = "\ufeff"


class ExportCancelled(UserError):
    pass


@dataclass(frozen=True)
class Column:
    csv: str  # the CSV header's name (Polish, as the spreadsheet shows it)
    json: str  # the JSON key (English, as the other --json outputs)


@dataclass(frozen=True)
class ExportTable:
    """What a list gives an export: its columns, its rows (each a tuple of values in the
    columns' order, read lazily), how many there are, and its filter for the trace."""

    source: ExportedList
    columns: Sequence[Column]
    rows: Iterable[Sequence[Value]]
    total: int
    filter_text: str
    filter_json: dict[str, Any]


ORDER_COLUMNS = (
    Column("lp", "lp"), Column("order_id", "id"), Column("nr_zamowienia", "order_ref"),
    Column("osoba", "person"), Column("nr_albumu", "album"), Column("pesel", "pesel"),
    Column("data_zamowienia", "ordered_at"), Column("status", "status"),
    Column("status_opis", "status_label"), Column("status_tekst", "status_text"),
    Column("data_waznosci", "expiry_date"), Column("kod_bledu", "error_code"),
    Column("oczekuje_mc", "pending"), Column("wygaslo", "lapse"),
)


def export_orders(ctx: Context, q: OrderQuery, target: Path | IO[bytes], options: ExportOptions, *,
                  via: str, limit: int = 0, progress: Callable[[ExportProgress], None] | None = None,
                  cancel: threading.Event | None = None) -> ExportResult:
    """The order list as the filter `q` shows it (all of it, or the first `limit` rows),
    to a file (`target` a path) or a stream (the CLI's stdout)."""
    from mleg_tui.services.orders import count_orders, iter_orders

    unmask = _pesel_allowed(ctx, options)
    _check_options(options)
    total = count_orders(ctx, q)
    rows: Iterator[OrderRow] = iter_orders(ctx, q, chunk=CHUNK)
    if limit > 0:
        total = min(total, limit)
        rows = itertools.islice(rows, limit)
    text = q.describe() + (f"; pierwsze {limit}" if limit > 0 else "")
    table = ExportTable(ExportedList.ORDERS, ORDER_COLUMNS, _order_values(ctx, rows, unmask), total,
                        text, {**q.as_json(), "limit": limit or None})
    return export_table(ctx, table, target, options, via=via, progress=progress, cancel=cancel)


def _order_values(ctx: Context, rows: Iterator[OrderRow], unmask: bool) -> Iterator[tuple[Value, ...]]:
    while chunk := list(itertools.islice(rows, CHUNK)):
        pesels = _pesels(ctx, {r.person_id for r in chunk})
        for r in chunk:
            pesel = pesels.get(r.person_id)
            yield (r.lp, r.id, r.order_ref, r.person, r.album, pesel if unmask else mask(pesel),
                   r.ordered_at, r.status.value, r.status.label, r.status_text(), r.expiry_date,
                   r.error_code or None, r.pending_action, r.lapse.value if r.lapse else None)


def _pesels(ctx: Context, person_ids: set[int]) -> dict[int, str | None]:
    with reading(ctx.engine) as s:
        found = s.execute(select(col(Person.id), col(Person.pesel)).where(col(Person.id).in_(person_ids)))
        return {pid: pesel for pid, pesel in found}


def _pesel_allowed(ctx: Context, options: ExportOptions) -> bool:
    ctx.require(Permission.VIEW)
    if options.pesel:
        ctx.require(Permission.EXPORT_PESEL)  # asked for and not allowed: refused, not masked quietly
    return options.pesel


def _check_options(options: ExportOptions) -> None:
    if options.format not in EXPORT_FORMATS:
        raise UserError(f"Nieznany format eksportu „{options.format}”: csv albo json.")
    if options.separator not in SEPARATORS:
        raise UserError(f"Separator pól CSV „{options.separator}”: średnik (;) albo przecinek (,).")


def export_table(ctx: Context, table: ExportTable, target: Path | IO[bytes], options: ExportOptions, *,
                 via: str, progress: Callable[[ExportProgress], None] | None = None,
                 cancel: threading.Event | None = None) -> ExportResult:
    """Any list (`table`) to a file or a stream: written, traced, then made visible."""
    _check_options(options)
    path = _checked_target(target, options.overwrite) if isinstance(target, Path) else None
    destination = str(path) if path else STDOUT
    with _staging(path) as (staged, staged_path):
        written = _write(staged, table, options, progress, cancel)
        staged.flush()
        os.fsync(staged.fileno())
        # The trace first: a file (or bytes on stdout) with no record must never be.
        try:
            record_access(ctx, source=table.source, filter_text=table.filter_text,
                          filter_json=table.filter_json, rows=written, format=options.format,
                          pesel_unmasked=options.pesel, destination=destination, via=via)
        except MlegError as e:
            raise UserError(f"Nie wyeksportowano: eksport danych osobowych musi zostawić ślad w bazie "
                            f"(kto, co, ile wierszy), a nie udało się go zapisać. {e}") from None
        if staged_path is not None and path is not None:
            _publish(staged_path, path, options.overwrite)
        elif not isinstance(target, Path):
            staged.seek(0)
            shutil.copyfileobj(staged, target)
            target.flush()
    return ExportResult(destination, written, options.pesel, options.format)


def _write(out: IO[bytes], table: ExportTable, options: ExportOptions,
           progress: Callable[[ExportProgress], None] | None, cancel: threading.Event | None) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=False)
    n = 0
    try:
        if options.format == "csv":
            if options.bom:
                text.write(BOM)
            w = csv.writer(text, delimiter=options.separator, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
            w.writerow([c.csv for c in table.columns])
            for n, values in enumerate(table.rows, 1):
                w.writerow([_csv_cell(v) for v in values])
                _tick(n, table.total, progress, cancel)
        else:
            keys = [c.json for c in table.columns]
            text.write("[")
            for n, values in enumerate(table.rows, 1):
                item = dict(zip(keys, (_json_value(v) for v in values)))
                text.write(("\n  " if n == 1 else ",\n  ") + json_safe(json.dumps(item, ensure_ascii=False)))
                _tick(n, table.total, progress, cancel)
            text.write("\n]\n")
        text.flush()
    finally:
        text.detach()  # the staged file stays open for the trace and the rename
    _stop_if(cancel)  # stopped after the last row: still nothing exported
    if progress:
        progress(ExportProgress(n, max(table.total, n)))
    return n


def _tick(n: int, total: int, progress: Callable[[ExportProgress], None] | None,
          cancel: threading.Event | None) -> None:
    if n % CHUNK:
        return
    _stop_if(cancel)
    if progress:
        progress(ExportProgress(n, max(total, n)))


def _stop_if(cancel: threading.Event | None) -> None:
    if cancel is not None and cancel.is_set():
        raise ExportCancelled("Eksport przerwany: nie zapisano żadnego pliku.")


def _csv_cell(v: Value) -> str:
    if isinstance(v, str):  # most cells: tested first
        return spreadsheet_cell(v)
    if v is None:
        return ""
    if isinstance(v, bool):
        return "tak" if v else "nie"
    if isinstance(v, dt.datetime):
        return list_datetime(v)
    if isinstance(v, dt.date):
        return list_date(v)
    return str(v)


def _json_value(v: Value) -> Any:
    if isinstance(v, dt.datetime):
        return v.isoformat(timespec="seconds")
    if isinstance(v, dt.date):
        return v.isoformat()
    return v


# -- the file: checked first, staged beside it, renamed into place ------------------------------

def _checked_target(path: Path, overwrite: bool) -> Path:
    path = path.expanduser().absolute()
    folder = path.parent
    if not folder.is_dir():
        raise UserError(f"Nie ma katalogu {folder}: popraw ścieżkę pliku albo najpierw utwórz katalog.")
    if path.is_dir():
        raise UserError(f"{path} to katalog: podaj nazwę pliku, np. {path / 'zamowienia.csv'}.")
    if path.exists() and not overwrite:
        raise UserError(f"Plik {path} już istnieje: podaj inną nazwę albo pozwól go zastąpić "
                        "(--overwrite; w aplikacji: „Zastąp istniejący plik”).")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"Nie można zapisać pliku w katalogu {folder}: brak uprawnień do zapisu. "
                        "Wybierz inny katalog (np. domowy).")
    return path


@contextlib.contextmanager
def _staging(path: Path | None) -> Iterator[tuple[IO[bytes], Path | None]]:
    """A private temporary file (0600) beside `path` (or, for a stream, an unnamed one in
    the system's temporary folder), removed unless it was renamed into place. A failing
    disk (full, unwritable) is one Polish line."""
    staged: Path | None = None
    try:
        if path is None:
            with tempfile.TemporaryFile(prefix="mleg-tui-eksport-") as f:
                yield f, None
            return
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        staged = Path(name)
        with os.fdopen(fd, "w+b") as f:
            yield f, staged
    except BrokenPipeError:  # the stream's reader went away (`| head`): not a disk's failure
        raise
    except OSError as e:
        raise _os_error(e, path) from None
    finally:
        if staged is not None:
            with contextlib.suppress(FileNotFoundError):
                staged.unlink()


def _publish(staged: Path, path: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(staged, path)
        return
    try:
        os.link(staged, path)  # never replaces a file that appeared meanwhile
    except FileExistsError:
        raise UserError(f"Plik {path} powstał w trakcie eksportu: nie zastąpiono go; "
                        "podaj inną nazwę.") from None
    except OSError:  # a file system without hard links
        if path.exists():
            raise UserError(f"Plik {path} powstał w trakcie eksportu: nie zastąpiono go.") from None
        os.replace(staged, path)


def _os_error(e: OSError, path: Path | None) -> UserError:
    where = f"pliku {path}" if path else "pliku tymczasowego eksportu"
    if isinstance(e, PermissionError):
        return UserError(f"Nie można zapisać {where}: brak uprawnień. Wybierz inny katalog.")
    return UserError(f"Nie można zapisać {where}: {e.strerror or e}. Nic nie zapisano.")
