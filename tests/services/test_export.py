"""Exports of the order list (services.export) on both databases: the file read back as
Polish Excel reads it (a BOM, `;`), masking, no codes, formulas neutralised, hostile names,
whole or not at all, and the access trace each one leaves (services.access)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from mleg_tui.domain.events import ExportedList
from mleg_tui.domain.pesel import mask
from mleg_tui.domain.status import OrderStatus
from mleg_tui.domain.text import spreadsheet_cell
from mleg_tui.errors import UserError
from mleg_tui.services import actions
from mleg_tui.services.access import access_records
from mleg_tui.services.context import Context, Forbidden
from mleg_tui.services.export import CHUNK, ExportCancelled, export_orders
from mleg_tui.services.list_types import OrderQuery
from mleg_tui.services.types import ExportOptions, ExportProgress
from support.hostile import SPREADSHEET, build_hostile_store, raw_controls
from support.register import enrolment, pesel_for
from support.stores import import_rows, is_pg, mc_moves, store_sql

PESEL_0 = pesel_for(dt.date(2003, 5, 17))  # the register's default for Karolina Bachta
ACTIVATION = "AKT-SEKRET-7731"
QR = "QR-TEKST-SEKRET-55"


def excel_rows(path: Path, sep: str = ";") -> list[dict[str, str]]:
    """As Polish Excel opens a double-clicked CSV: the BOM says UTF-8, `;` separates."""
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), raw[:10]
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=sep))


@pytest.fixture
def office(ctx: Context, tmp_path: Path, store_url: str) -> Context:
    """Four students with an order each: one ready for pickup with its codes, two with a
    formula for a name, one whose PESEL the register has since dropped."""
    import_rows(ctx, tmp_path,
                enrolment("P1", "100001", "Karolina", "Bachta"),
                enrolment("P2", "100002", "=HYPERLINK(\"http://x\")", "Nowak", birth_date="2001-02-03"),
                enrolment("P3", "100003", "Ewa", "Bez Peselu", birth_date="2000-01-01"),
                enrolment("P4", "100004", "@SUM(A1)", "-Kowal", birth_date="2002-12-24"))
    for album in ("100001", "100002", "100003", "100004"):
        actions.place_order(ctx, album)
    store_sql(store_url, "UPDATE person SET pesel = NULL WHERE album = '100003'")
    (oid,) = store_sql(store_url, "SELECT id FROM orders WHERE album = '100001'")[0]
    mc_moves(ctx, oid, OrderStatus.W_TRAKCIE, OrderStatus.DO_ODBIORU)
    store_sql(store_url, "UPDATE orders SET activation_code = ?, qr_code = ? WHERE id = ?", ACTIVATION, QR, oid)
    return ctx


def traces(store_url: str) -> list[tuple[object, ...]]:
    return store_sql(store_url, "SELECT login, source, rows, format, pesel_unmasked, destination, "
                                "filter_text, via FROM access_event ORDER BY id")


def test_csv_opens_in_polish_excel_masked_without_codes_and_formulas(office: Context, tmp_path: Path,
                                                                      store_url: str):
    out = tmp_path / "zamowienia.csv"
    seen: list[ExportProgress] = []
    result = export_orders(office, OrderQuery(), out, ExportOptions(), via="CLI", progress=seen.append)
    assert result.rows == 4 and result.destination == str(out)
    rows = excel_rows(out)
    assert [r["nr_albumu"] for r in rows] == ["100004", "100003", "100002", "100001"]  # newest first
    by_album = {r["nr_albumu"]: r for r in rows}
    assert by_album["100001"]["pesel"] == mask(PESEL_0) and by_album["100001"]["pesel"].endswith(PESEL_0[-4:])
    assert by_album["100001"]["pesel"].startswith("*******")
    assert by_album["100003"]["pesel"] == ""
    assert by_album["100001"]["status"] == "DO_ODBIORU" and by_album["100001"]["status_opis"] == "Do odbioru"
    # Formulas are text: a leading ' (OWASP), both in the first name and the surname.
    assert by_album["100002"]["osoba"] == "'=HYPERLINK(\"http://x\") Nowak"
    assert by_album["100004"]["osoba"] == "'@SUM(A1) -Kowal"
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    # The order list's dates, which Excel reads as dates.
    assert by_album["100001"]["data_zamowienia"].startswith("2025-09-03 ")
    assert by_album["100001"]["data_waznosci"] == "2025-10-31"
    text = out.read_bytes().decode("utf-8-sig")
    assert ACTIVATION not in text and QR not in text and PESEL_0 not in text
    assert text.count("\r\n") == 5 and text.split("\r\n")[0].startswith('"lp";"order_id";')
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: its owner's only
    assert seen[-1] == ExportProgress(4, 4)
    assert list(tmp_path.glob(".zamowienia.csv.*")) == []  # nothing staged left behind
    (trace,) = traces(store_url)
    assert trace[:6] == ("tester", "ORDERS", 4, "csv", False, str(out))
    assert trace[6] == "wszystkie zamówienia; sortowanie: data zamówienia, malejąco" and trace[7] == "CLI"


def test_comma_separator_and_no_bom_for_other_programs(office: Context, tmp_path: Path):
    out = tmp_path / "z.csv"
    export_orders(office, OrderQuery(), out, ExportOptions(separator=",", bom=False), via="CLI")
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8")), delimiter=","))
    assert len(rows) == 4 and rows[0]["nr_albumu"] == "100004"
    with pytest.raises(UserError, match="średnik"):
        export_orders(office, OrderQuery(), tmp_path / "t.csv", ExportOptions(separator="\t"), via="CLI")


def test_whole_pesel_only_for_a_role_that_may_and_only_when_asked(office: Context, make_ctx: Callable[..., Context],
                                                                   tmp_path: Path, store_url: str):
    export_orders(office, OrderQuery(text="bachta"), tmp_path / "a.csv", ExportOptions(pesel=True), via="TUI")
    (row,) = excel_rows(tmp_path / "a.csv")
    assert row["pesel"] == PESEL_0  # a text cell: Excel keeps what it shows as the digits
    for role in ("operator", "viewer"):
        with pytest.raises(Forbidden, match="pełnymi numerami PESEL"):
            export_orders(make_ctx(role=role, login="ola"), OrderQuery(), tmp_path / f"{role}.csv",
                          ExportOptions(pesel=True), via="TUI")
        assert not (tmp_path / f"{role}.csv").exists()
    assert [(t[0], t[2], t[4]) for t in traces(store_url)] == [("tester", 1, True)]
    assert traces(store_url)[0][6].startswith("tekst „bachta”")


def test_json_is_a_list_of_objects_with_iso_times(office: Context, tmp_path: Path, store_url: str):
    out = tmp_path / "z.json"
    q = OrderQuery(statuses=frozenset({OrderStatus.DO_ODBIORU}))
    assert export_orders(office, q, out, ExportOptions(format="json", pesel=True), via="CLI").rows == 1
    raw = out.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # JSON never has a BOM (RFC 8259)
    (item,) = json.loads(raw)
    assert item["album"] == "100001" and item["pesel"] == PESEL_0 and item["status"] == "DO_ODBIORU"
    assert item["ordered_at"].startswith("2025-09-03T") and item["ordered_at"].endswith("+02:00")
    assert ACTIVATION not in raw.decode() and QR not in raw.decode()
    (trace,) = traces(store_url)
    assert trace[2:5] == (1, "json", True) and "status: Do odbioru" in trace[6]


def test_a_viewers_export_and_a_read_only_sessions_are_traced(office: Context, make_ctx: Callable[..., Context],
                                                               tmp_path: Path, store_url: str):
    viewer = make_ctx(role="viewer", login="ola")
    read_only = make_ctx(role=None, login="jan", read_only=True)
    assert read_only.role == "viewer"
    export_orders(viewer, OrderQuery(), tmp_path / "v.csv", ExportOptions(), via="TUI")
    export_orders(read_only, OrderQuery(text="02270803628"), tmp_path / "r.json", ExportOptions(format="json"),
                  via="CLI")
    got = traces(store_url)
    assert [(t[0], t[2]) for t in got] == [("ola", 4), ("jan", 0)]
    assert "02270803628" not in got[1][6] and "*******3628" in got[1][6]  # a PESEL typed is masked
    views = access_records(office)
    assert [v.login for v in views] == ["jan", "ola"]  # newest first
    assert views[0].role == "viewer" and views[0].source is ExportedList.ORDERS
    assert views[0].filter["text"] == "*******3628" and views[0].as_json()["rows"] == 0
    assert "ola" in views[1].describe() and "4 wiersze" in views[1].describe()
    assert [v.login for v in access_records(office, login="ola")] == ["ola"]


def test_no_untraced_export_when_the_trace_cannot_be_written(office: Context, tmp_path: Path, store_url: str):
    """A store this session cannot write to (a read-only replica, a file without write
    rights): the export is refused and no file appears."""
    if is_pg(store_url):
        store_sql(store_url, "CREATE FUNCTION no_write() RETURNS trigger LANGUAGE plpgsql AS "
                             "$$ BEGIN RAISE EXCEPTION 'read only' USING ERRCODE = '25006'; END $$")
        store_sql(store_url, "CREATE TRIGGER no_write BEFORE INSERT ON access_event "
                             "FOR EACH ROW EXECUTE FUNCTION no_write()")
    else:
        store_sql(store_url, "CREATE TRIGGER no_write BEFORE INSERT ON access_event "
                             "BEGIN SELECT RAISE(ABORT, 'attempt to write a readonly database'); END")
    out = tmp_path / "z.csv"
    with pytest.raises(UserError, match="musi zostawić ślad"):
        export_orders(office, OrderQuery(), out, ExportOptions(), via="CLI")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("z.", ".z."))) == []
    stream = io.BytesIO()
    with pytest.raises(UserError, match="musi zostawić ślad"):
        export_orders(office, OrderQuery(), stream, ExportOptions(), via="CLI")
    assert stream.getvalue() == b""  # not a byte before the trace
    assert traces(store_url) == []


def test_an_existing_file_is_replaced_only_when_asked(office: Context, tmp_path: Path, store_url: str):
    out = tmp_path / "z.csv"
    out.write_text("moje notatki", encoding="utf-8")
    with pytest.raises(UserError, match="już istnieje"):
        export_orders(office, OrderQuery(), out, ExportOptions(), via="CLI")
    assert out.read_text(encoding="utf-8") == "moje notatki" and traces(store_url) == []
    export_orders(office, OrderQuery(), out, ExportOptions(overwrite=True), via="CLI")
    assert len(excel_rows(out)) == 4


@pytest.mark.parametrize("where", ["missing folder", "a folder", "unwritable"])
def test_a_path_that_cannot_be_written_is_one_polish_line(office: Context, tmp_path: Path, where: str,
                                                           store_url: str, monkeypatch: pytest.MonkeyPatch):
    target = {"missing folder": tmp_path / "nie-ma" / "z.csv", "a folder": tmp_path,
              "unwritable": tmp_path / "zamkniety" / "z.csv"}[where]
    if where == "unwritable":
        target.parent.mkdir()
        target.parent.chmod(0o500)
        real = os.access
        # root writes anywhere: the check is what a clerk's account meets.
        monkeypatch.setattr(os, "access", lambda p, m: False if Path(p) == target.parent else real(p, m))
    said = {"missing folder": "Nie ma katalogu", "a folder": "to katalog", "unwritable": "brak uprawnień"}[where]
    with pytest.raises(UserError, match=said):
        export_orders(office, OrderQuery(), target, ExportOptions(), via="CLI")
    assert traces(store_url) == []


def test_stopped_midway_leaves_no_file_and_no_trace(ctx: Context, tmp_path: Path, store_url: str):
    import_rows(ctx, tmp_path, *[enrolment(f"P{i}", str(200000 + i), "Ala", f"Nowak{i}") for i in range(CHUNK + 5)])
    for i in range(CHUNK + 5):
        actions.place_order(ctx, str(200000 + i))
    stop = threading.Event()
    seen: list[int] = []

    def progress(p: ExportProgress) -> None:
        seen.append(p.done)
        stop.set()  # the clerk presses Esc at the first report

    with pytest.raises(ExportCancelled):
        export_orders(ctx, OrderQuery(), tmp_path / "z.csv", ExportOptions(), via="TUI", progress=progress,
                      cancel=stop)
    assert seen == [CHUNK] and not (tmp_path / "z.csv").exists() and traces(store_url) == []
    assert [p for p in tmp_path.iterdir() if ".z.csv" in p.name] == []
    # Streamed a window at a time, every row once, in list order.
    out = tmp_path / "all.csv"
    assert export_orders(ctx, OrderQuery(), out, ExportOptions(), via="CLI").rows == CHUNK + 5
    rows = excel_rows(out)
    assert [r["lp"] for r in rows] == [str(i) for i in range(1, CHUNK + 6)]
    assert len({r["order_id"] for r in rows}) == CHUNK + 5


def test_hostile_names_are_text_in_csv_and_exact_in_json(make_ctx: Callable[..., Context], tmp_path: Path,
                                                         store_url: str):
    students = build_hostile_store(make_ctx, tmp_path, store_url)
    ctx = make_ctx()
    out_csv, out_json = tmp_path / "h.csv", tmp_path / "h.json"
    export_orders(ctx, OrderQuery(), out_csv, ExportOptions(), via="CLI")
    export_orders(ctx, OrderQuery(), out_json, ExportOptions(format="json"), via="CLI")
    rows = excel_rows(out_csv)
    text = out_csv.read_bytes().decode("utf-8-sig")
    assert raw_controls(text.replace("\r\n", "\n")) == []  # no control character reaches the sheet
    people = {r["order_id"]: r["osoba"] for r in rows}
    items = {str(o["id"]): o for o in json.loads(out_json.read_text(encoding="utf-8"))}
    for h in students:
        assert people[str(h.current)] == spreadsheet_cell(h.name)
        assert items[str(h.current)]["person"] == h.name  # JSON keeps the data exactly
    formulas = [h for h in students if h.name in {f"{f} H{h.index}" for f in SPREADSHEET}]
    assert len(formulas) == len(SPREADSHEET)
    assert all(people[str(h.current)].startswith("'") for h in formulas)
    assert all(not v.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for v in r.values())


def test_the_trace_is_append_only_in_the_database_itself(office: Context, tmp_path: Path, store_url: str):
    export_orders(office, OrderQuery(), tmp_path / "z.csv", ExportOptions(), via="CLI")
    for change in ("UPDATE access_event SET rows = 0", "DELETE FROM access_event"):
        with pytest.raises(Exception, match="append-only"):
            store_sql(store_url, change)
    if is_pg(store_url):
        with pytest.raises(Exception, match="append-only"):
            store_sql(store_url, "TRUNCATE access_event")
    assert [t[2] for t in traces(store_url)] == [4]


def test_a_set_from_the_overview_is_exported_as_the_list_shows_it_and_named_in_the_trace(
        office: Context, tmp_path: Path, store_url: str):
    from mleg_tui.services.orders import count_orders
    from mleg_tui.services.overview_types import OrderSet

    q = OrderQuery(set=OrderSet(kind="age", status=OrderStatus.OCZEKUJE))
    out = tmp_path / "z.json"
    result = export_orders(office, q, out, ExportOptions(format="json"), via="TUI")
    assert result.rows == count_orders(office, q) == 3
    assert {o["status"] for o in json.loads(out.read_text(encoding="utf-8"))} == {"OCZEKUJE"}
    (view,) = access_records(office)
    assert view.filter_text.startswith("zbiór z przeglądu: Oczekuje") and view.filter["set"]["kind"] == "age"
