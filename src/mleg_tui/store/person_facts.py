"""What the store keeps about each person so that the overview counts a million of them
without working it out again each time (issue 13):

- person.blocked_by: the reasons about the person alone (domain.eligibility.person_reasons:
  no or a bad PESEL, no photo, no album) as bits, worked out by the domain itself whenever
  the row is written (the importer, the demo, the ORM's events below; schema v10 for stores
  made before). Date-dependent reasons (the programmes' entitlement today) are not kept.
- person.has_ordered: whether any order of the person is stored, kept by triggers on orders,
  whoever writes them (a bulk load suspends them and `rebuild_has_ordered` sets it after).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, text

from mleg_tui.domain.eligibility import BAD_PESEL, NO_ALBUM, NO_PESEL, NO_PHOTO, PersonFacts, person_reasons

REASON_BITS = {NO_PESEL: 1, BAD_PESEL: 2, NO_PHOTO: 4, NO_ALBUM: 8}


def blocked_by(pesel: str | None, birth_date: dt.date | None, has_photo: bool, album: str | None) -> int:
    return sum(REASON_BITS[r.code] for r in person_reasons(PersonFacts(pesel, album, has_photo, birth_date)))


_SET = "UPDATE person SET has_ordered = {value} WHERE id = {pid}"
_ANY = "EXISTS (SELECT 1 FROM orders WHERE orders.person_id = {pid})"
_SQLITE_TRIGGERS = {
    "orders_person_ordered_ai": "AFTER INSERT ON orders BEGIN "
    + _SET.format(value="1", pid="new.person_id") + " AND has_ordered = 0; END",
    "orders_person_ordered_ad": "AFTER DELETE ON orders BEGIN "
    + _SET.format(value=_ANY.format(pid="old.person_id"), pid="old.person_id") + "; END",
    "orders_person_ordered_au": "AFTER UPDATE OF person_id ON orders BEGIN "
    + _SET.format(value=_ANY.format(pid="old.person_id"), pid="old.person_id") + "; "
    + _SET.format(value="1", pid="new.person_id") + "; END",
}
_PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION orders_person_ordered() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP IN ('DELETE', 'UPDATE') THEN "
    + _SET.format(value=_ANY.format(pid="OLD.person_id"), pid="OLD.person_id") + "; END IF; "
    "IF TG_OP IN ('INSERT', 'UPDATE') THEN "
    + _SET.format(value="true", pid="NEW.person_id") + " AND NOT has_ordered; END IF; "
    "RETURN NULL; END $$"
)
_PG_TRIGGER = ("CREATE TRIGGER orders_person_ordered AFTER INSERT OR DELETE OR UPDATE OF person_id "
               "ON orders FOR EACH ROW EXECUTE FUNCTION orders_person_ordered()")


def install(conn: Connection) -> None:
    """The triggers that keep person.has_ordered in step with the orders."""
    if conn.dialect.name == "sqlite":
        for name, body in _SQLITE_TRIGGERS.items():
            conn.exec_driver_sql(f"CREATE TRIGGER IF NOT EXISTS {name} {body}")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_PG_FUNCTION)
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS orders_person_ordered ON orders")
        conn.exec_driver_sql(_PG_TRIGGER)


def suspend(conn: Connection) -> None:
    """Before a bulk load of orders: one pass afterwards (`rebuild_has_ordered`) is cheaper
    than an update of the person for each order."""
    if conn.dialect.name == "sqlite":
        for name in _SQLITE_TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP TRIGGER IF EXISTS orders_person_ordered ON orders")


def rebuild_has_ordered(conn: Connection) -> None:
    """Set person.has_ordered from the orders, and the triggers back."""
    # A semi-join and an anti-join, each one pass. `has_ordered = (id IN (SELECT ...))` in
    # one statement is a subplan PostgreSQL cannot hash past work_mem: it scanned the orders
    # for each person (hours at a million orders).
    conn.exec_driver_sql("UPDATE person SET has_ordered = true WHERE NOT has_ordered "
                         "AND id IN (SELECT person_id FROM orders)")
    conn.exec_driver_sql("UPDATE person SET has_ordered = false WHERE has_ordered "
                         "AND NOT EXISTS (SELECT 1 FROM orders WHERE orders.person_id = person.id)")
    install(conn)


def fill_blocked_by(conn: Connection, chunk: int = 20_000) -> None:
    """Work out person.blocked_by for every stored person (the upgrade to v10), `chunk`
    persons at a time."""
    stmt = text("UPDATE person SET blocked_by = :b WHERE id = :i")
    page = text("SELECT id, pesel, birth_date, has_photo, album FROM person WHERE id > :after ORDER BY id LIMIT :n")
    after = -1
    while rows := conn.execute(page, {"after": after, "n": chunk}).all():
        updates = []
        for pid, pesel, born, photo, album in rows:
            if isinstance(born, str):  # SQLite keeps dates as ISO text
                born = dt.date.fromisoformat(born)
            if bits := blocked_by(pesel, born, bool(photo), album):
                updates.append({"b": bits, "i": pid})
        if updates:
            conn.execute(stmt, updates)
        after = rows[-1][0]
