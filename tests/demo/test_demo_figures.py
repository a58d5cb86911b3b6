"""On the evening of the manual's figures 7-11 (3.09.2025, 23:30), a store built by
`mleg-tui demo-data` shows the manual's students as the figures do, to the minute, read
through the command line a help desk would use (`mleg-tui student ALBUM --json`)."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from mleg_tui.domain.eligibility import RENEWAL_NOTE
from support.cli import CliResult
from support.demo import EVENING

ALBUMS = ["1234336607", "100001", "100002", "100003", "100004", "100005", "100006", "100007", "100009"]


def _students(cli: Callable[..., CliResult], cli_env: dict[str, str]) -> dict[str, dict[str, Any]]:
    cli_env["MLEG_TUI_TODAY"] = EVENING
    built = cli("demo-data", "--students", "40")
    assert built.returncode == 0, built
    results = cli.parallel([(["student", a, "--json"], None) for a in ALBUMS])  # type: ignore[attr-defined]
    for r in results:
        assert r.returncode == 0, r
    return {a: json.loads(r.stdout) for a, r in zip(ALBUMS, results)}


def _reasons(student: dict[str, Any]) -> list[str]:
    return [r["code"] for r in student["reasons"]]


def _path(order: dict[str, Any]) -> list[str]:
    return [e["new_status"] for e in order["events"] if e["new_status"]]


def test_the_manuals_students_as_its_figures_show_them(cli: Callable[..., CliResult], cli_env: dict[str, str]):
    s = _students(cli, cli_env)

    # Figures 7-11: ordered 3.09.2025, 22:18, ready, cancelled; ordered again 22:20, ready,
    # the QR text of figure 10; both to expire 31.10.2025 (figure 11's list).
    new, cancelled = s["1234336607"]["orders"]
    assert (new["ordered_at"], new["status"], new["planned_expiry"]) == (
        "2025-09-03T22:20:32+02:00", "DO_ODBIORU", "2025-10-31")
    assert new["qr_code"] == "87aa907615be4d5e81767a4575b92725" and not new["codes_expired"]
    assert (cancelled["ordered_at"], cancelled["status"], cancelled["planned_expiry"]) == (
        "2025-09-03T22:18:34+02:00", "ANULOWANE_PRZEZ_UZYTKOWNIKA", "2025-10-31")
    assert _path(cancelled) == ["OCZEKUJE", "W_TRAKCIE", "DO_ODBIORU", "ANULOWANE_PRZEZ_UZYTKOWNIKA"]
    assert cancelled["events"][-1]["actor_kind"] == "STUDENT"
    assert cancelled["events"][-1]["at"] < new["ordered_at"]  # cancelled before ordering again
    assert _reasons(s["1234336607"]) == ["ORDER_IN_PROGRESS"]

    # Figure 6: no photo, nothing else.
    assert _reasons(s["100001"]) == ["NO_PHOTO"] and s["100001"]["orders"] == []

    # Figure 7: ordered 3.09.2025, 22:18, waiting to be passed to MC, to expire 31.10.2025.
    (waiting,) = s["100002"]["orders"]
    assert waiting["status"] == "OCZEKUJE" and waiting["ordered_at"].startswith("2025-09-03T22:18")
    assert waiting["planned_expiry"] == "2025-10-31"

    # Figures 12-13: struck off on 2.09.2025 (SKR-102); the card, ordered before, revoked
    # after it; no programme entitles any more.
    struck = s["100003"]
    assert [(p["status"], p["status_date"]) for p in struck["programmes"]] == [("STRUCK_OFF", "2025-09-02")]
    (revoked,) = struck["orders"]
    assert revoked["status"] == "UNIEWAZNIONE_PRZEZ_UCZELNIE" and revoked["ordered_at"] < "2025-09-02"
    revocation = [e for e in revoked["events"] if e["action"] in ("REVOKE_PENDING", "REVOKED")]
    assert revocation and all(e["at"] >= "2025-09-02" and "SKR-102" in e["reason"] for e in revocation)
    assert _reasons(struck) == ["NO_ENTITLING_PROGRAMME"]

    # Figure 14: revoked, ordered 29.08.2025, 21:31; a new one impossible: no PESEL.
    (no_pesel,) = s["100004"]["orders"]
    assert (no_pesel["ordered_at"], no_pesel["status"]) == ("2025-08-29T21:31:00+02:00", "UNIEWAZNIONE_PRZEZ_UCZELNIE")
    assert _reasons(s["100004"]) == ["NO_PESEL"]

    # Figure 15: an error on the order of 26.06.2024, 14:58, planned to expire 23.08.2024;
    # no right to a new one.
    (failed,) = s["100005"]["orders"]
    assert (failed["ordered_at"], failed["status"], failed["planned_expiry"]) == (
        "2024-06-26T14:58:00+02:00", "BLAD", "2024-08-23")
    assert failed["error_code"] and _reasons(s["100005"]) == ["NO_ENTITLING_PROGRAMME"]

    # Figures 16-17: a picked-up card within 30 days of its expiry: may order a new one.
    renewing = s["100006"]
    (card,) = renewing["orders"]
    assert card["status"] == "ODEBRANA" and "2025-09-03" < card["expiry_date"] <= "2025-10-03"
    assert renewing["eligible"] and renewing["notes"] == [RENEWAL_NOTE]

    # Struck off today, the card still valid: the sweep's work.
    (valid,) = s["100007"]["orders"]
    assert valid["status"] == "ODEBRANA" and valid["expiry_date"] > "2025-09-03"
    assert _reasons(s["100007"]) == ["NO_ENTITLING_PROGRAMME", "VALID_CARD_HELD"]

    # Ready for pickup, its codes expired (30 days after they were issued).
    (stale,) = s["100009"]["orders"]
    assert stale["status"] == "DO_ODBIORU" and stale["codes_expired"]


def test_figure_11_lists_both_orders_to_the_second(cli: Callable[..., CliResult], cli_env: dict[str, str]):
    cli_env["MLEG_TUI_TODAY"] = EVENING
    assert cli("demo-data", "--students", "40").returncode == 0
    listing = cli("orders", "--query", "1234336607")
    assert listing.returncode == 0, listing
    rows = [line.split() for line in listing.stdout.splitlines()[2:]]
    assert [r[:8] for r in rows] == [
        ["1", "Karolina", "Bachta", "1234336607", "2025-09-03", "22:20:32", "Do", "odbioru"],
        ["2", "Karolina", "Bachta", "1234336607", "2025-09-03", "22:18:34", "Anulowane", "przez"],
    ]
    assert all(r[-1] == "2025-10-31" for r in rows)
