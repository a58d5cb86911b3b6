"""The tables. Instants are aware UTC datetimes (see store.types); dates are dates."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Index, String, Text, event, false, func, text
from sqlmodel import Field, SQLModel

from mleg_tui.store.person_facts import blocked_by
from mleg_tui.store.types import UtcDateTime


class Meta(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=400)


class Person(SQLModel, table=True):
    __tablename__ = "person"
    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=64)  # person_id in the register
    album: str | None = Field(default=None, max_length=32)
    first_name: str = Field(max_length=120)
    last_name: str = Field(max_length=120)
    # Folded "last first" (see domain.names.fold): sort key and search text.
    name_key: str = Field(max_length=250, index=True)
    pesel: str | None = Field(default=None, max_length=32)
    birth_date: dt.date | None = None
    has_photo: bool = False
    updated_at: dt.datetime = Field(sa_type=UtcDateTime)
    # Kept as the row changes (store.person_facts, v10): the reasons about the person alone
    # as bits, and whether any order of theirs is stored.
    blocked_by: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    has_ordered: bool = Field(default=False, sa_column_kwargs={"server_default": false()})

    # Unique indexes rather than constraints: a bulk load can drop and rebuild them.
    __table_args__ = (
        Index("ux_person_external_id", "external_id", unique=True),
        Index("ux_person_album", "album", unique=True),
        Index("ix_person_pesel", "pesel"),  # the lookup by PESEL (v5)
        # The persons who never ordered (the overview's student figures, v10): small, so
        # that a pass over a million persons' worth reads few pages.
        Index("ix_person_never_ordered", "blocked_by",
              sqlite_where=text("has_ordered = 0"), postgresql_where=text("NOT has_ordered")),
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _person_blocked_by(_mapper: object, _conn: object, p: Person) -> None:
    """A person written through the ORM keeps blocked_by right too (bulk writers set it)."""
    p.blocked_by = blocked_by(p.pesel, p.birth_date, p.has_photo, p.album)


class Enrolment(SQLModel, table=True):
    __tablename__ = "enrolment"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    programme_code: str = Field(max_length=64)
    programme_name: str = Field(default="", max_length=250)
    level: str = Field(max_length=4)  # domain.rules.Level
    status: str = Field(max_length=16)  # domain.rules.ProgrammeStatus
    status_date: dt.date | None = None
    planned_end_date: dt.date | None = None

    __table_args__ = (
        Index("ux_enrolment_programme", "person_id", "programme_code", unique=True),
        # Whether a programme entitles the person, read from the index alone (v10).
        Index("ix_enrolment_entitles", "person_id", "level", "status", "status_date"),
    )


_HAS_QR = text("qr_code IS NOT NULL")


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    id: int | None = Field(default=None, primary_key=True)
    order_ref: str = Field(max_length=40)  # sent to MC as order_ref
    person_id: int = Field(foreign_key="person.id", index=True)
    status: str = Field(max_length=32)
    ordered_at: dt.datetime = Field(sa_type=UtcDateTime)
    planned_expiry: dt.date
    expiry_date: dt.date  # planned at first; MC's expiry_date once it gives one
    mc_id: str | None = Field(default=None, max_length=64)
    qr_code: str | None = Field(default=None, max_length=200)
    activation_code: str | None = Field(default=None, max_length=64)
    codes_valid_until: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    error_code: str = Field(default="", max_length=64)  # '' when none: sortable
    error_message: str | None = Field(default=None, sa_column=Column(Text))
    # A revocation or cancellation asked for but not yet confirmed by MC.
    pending_action: str | None = Field(default=None, max_length=16)
    pending_reason: str | None = Field(default=None, sa_column=Column(Text))
    pending_actor: str | None = Field(default=None, max_length=64)  # login
    pending_actor_kind: str | None = Field(default=None, max_length=16)  # domain.events.Actor
    pending_since: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    # The exact body sent to MC, kept from the first try: a retry after a lost response
    # repeats it to the letter, so MC answers 200 with the same order, never 409.
    # Set means the order may exist at MC, even without an MC id yet.
    submitted_body: str | None = Field(default=None, sa_column=Column(Text))
    # Submission claim: the refresh that is sending this order to MC, and until when.
    lease_owner: str | None = Field(default=None, max_length=64)
    lease_until: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    version: int = 1  # every change checks the version it read
    created_at: dt.datetime = Field(sa_type=UtcDateTime)
    updated_at: dt.datetime = Field(sa_type=UtcDateTime)
    mc_updated_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    # Copies of the person's album and folded name, so the list sorts by them with an index.
    album: str = Field(default="", max_length=32)
    name_key: str = Field(default="", max_length=250)

    __table_args__ = (
        Index("ux_orders_ref", "order_ref", unique=True),
        Index("ux_orders_mc_id", "mc_id", unique=True),
        # The folded name too: a filter on a common name walks this index testing each
        # entry, with no visit to the table row (v4).
        Index("ix_orders_ordered", "ordered_at", "id", "name_key"),
        Index("ix_orders_status", "status", "ordered_at", "id"),
        Index("ix_orders_album", "album", "id"),
        Index("ix_orders_name", "name_key", "id"),
        Index("ix_orders_expiry", "expiry_date", "id"),
        Index("ix_orders_error", "error_code", "id"),
        # A code picked from the list, newest first: its rows in the list's order (v9),
        # not thousands read and sorted.
        Index("ix_orders_error_at", "error_code", "ordered_at", "id"),
        Index("ix_orders_pending", "pending_action"),
        # The lookup by the QR code's text (v5): only orders ready for pickup keep one.
        Index("ix_orders_qr", "qr_code", sqlite_where=_HAS_QR, postgresql_where=_HAS_QR),
    )


class OrderEvent(SQLModel, table=True):
    """Append-only: every status change and every staff action."""

    __tablename__ = "order_event"
    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    at: dt.datetime = Field(sa_type=UtcDateTime)  # business time: a fixed `today` sets it
    # The real time it was written (v5); none for events older than that, and for
    # the histories a demo store is generated with.
    recorded_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    action: str = Field(max_length=32)
    old_status: str | None = Field(default=None, max_length=32)
    new_status: str | None = Field(default=None, max_length=32)
    actor_kind: str = Field(max_length=16)  # STUDENT, MC, SWEEP, STAFF, SYSTEM
    actor: str = Field(default="", sa_column=Column(String(64), nullable=False, default=""))
    reason: str | None = Field(default=None, sa_column=Column(Text))


class AccessEvent(SQLModel, table=True):
    """Append-only, as the event log: personal data read out in bulk (an export), by whom,
    which list with which filter, how many rows; the data itself is not changed (v8)."""

    __tablename__ = "access_event"
    id: int | None = Field(default=None, primary_key=True)
    recorded_at: dt.datetime = Field(sa_type=UtcDateTime, index=True)  # real time, never `today`
    login: str = Field(max_length=64, index=True)
    actor_kind: str = Field(max_length=16)  # domain.events.Actor
    role: str = Field(max_length=16)  # the role it had then (config.Role)
    via: str = Field(max_length=8)  # TUI or CLI
    source: str = Field(max_length=16)  # which list (domain.events.ExportSource)
    filter_text: str = Field(sa_column=Column(Text, nullable=False))  # in the clerk's words
    filter_json: str = Field(sa_column=Column(Text, nullable=False))
    rows: int
    format: str = Field(max_length=8)  # csv, json
    pesel_unmasked: bool = False
    destination: str = Field(sa_column=Column(Text, nullable=False))  # the file, or "stdout"

    # One login's exports newest first, as the audit pages them (v11): a range, not a sort.
    __table_args__ = (Index("ix_access_login_when", "login", "recorded_at", "id"),)


# The audit reads the log newest first by the real time of writing, or the business time
# where none was kept (v8): one expression, the same here and in services.audit.
EVENT_WHEN = func.coalesce(OrderEvent.__table__.c.recorded_at, OrderEvent.__table__.c.at)  # type: ignore[attr-defined]
_ev = OrderEvent.__table__.c  # type: ignore[attr-defined]
EVENT_INDEXES = (
    Index("ix_event_when", EVENT_WHEN, _ev.id),
    Index("ix_event_actor_when", _ev.actor, EVENT_WHEN, _ev.id),
    Index("ix_event_action_when", _ev.action, EVENT_WHEN, _ev.id),
)


class Run(SQLModel, table=True):
    """One refresh or sweep (v8): who started it, when, how it ended, its counts."""

    __tablename__ = "job_run"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # domain.runs.RunKind
    state: str = Field(max_length=16)  # domain.runs.RunState
    actor: str = Field(max_length=64)  # the login
    actor_kind: str = Field(max_length=16)  # domain.events.Actor: STAFF, or SYSTEM unattended
    origin: str = Field(max_length=8)  # TUI or CLI
    as_of: dt.date  # the business day (a fixed `today` sets it)
    started_at: dt.datetime = Field(sa_type=UtcDateTime)  # real time
    finished_at: dt.datetime | None = Field(default=None, sa_type=UtcDateTime)
    seconds: float | None = None
    total: int = 0
    done: int = 0
    read: int = 0
    submitted: int = 0
    changed: int = 0
    confirmed: int = 0
    found: int = 0  # the sweep: orders of persons without a right
    revoked: int = 0
    pending: int = 0
    skipped: int = 0
    failed: int = 0
    summary: str | None = Field(default=None, sa_column=Column(Text))  # the run's own line
    error: str | None = Field(default=None, sa_column=Column(Text))  # why it failed


class RunItem(SQLModel, table=True):
    """One order a report names: a failure with why, or what the sweep did and why."""

    __tablename__ = "job_run_item"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="job_run.id")
    order_id: int | None = None
    order_ref: str = Field(max_length=40)
    person: str = Field(max_length=250)
    album: str = Field(default="", max_length=32)
    status: str | None = Field(default=None, max_length=32)  # when the sweep found it
    outcome: str = Field(max_length=16)  # domain.runs.ItemOutcome
    reason: str | None = Field(default=None, sa_column=Column(Text))  # the sweep's reason
    why: str | None = Field(default=None, sa_column=Column(Text))  # a failure's cause

    __table_args__ = (Index("ix_run_item_run", "run_id", "id"),)
