"""The access trace: personal data read out in bulk (each export) leaves a record of who,
when (the real time), which list with which filter and how many rows. It is an audit
entry, not a change of data: a viewer's export is recorded too. A trace that cannot be
written stops the export (services.export): no bulk export goes untraced."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import tuple_
from sqlmodel import col, select

from mleg_tui.domain.events import Actor, ExportedList
from mleg_tui.services.context import Context
from mleg_tui.services.types import AccessView
from mleg_tui.store import reading, writing
from mleg_tui.store.models import AccessEvent


def record_access(ctx: Context, *, source: ExportedList, filter_text: str, filter_json: dict[str, Any],
                  rows: int, format: str, pesel_unmasked: bool, destination: str, via: str) -> int:
    """Write one record of an export; its id."""
    event = AccessEvent(
        recorded_at=dt.datetime.now(dt.UTC),  # the real time: a fixed `today` does not move it
        login=ctx.login, actor_kind=Actor.STAFF.value, role=ctx.role, via=via, source=source.value,
        filter_text=filter_text, filter_json=json.dumps(filter_json, ensure_ascii=False, sort_keys=True),
        rows=rows, format=format, pesel_unmasked=pesel_unmasked, destination=destination,
    )
    with writing(ctx.engine) as s:
        s.add(event)
        s.flush()
        return event.id or 0


def access_records(ctx: Context, *, login: str | None = None, since: dt.datetime | None = None,
                   until: dt.datetime | None = None, limit: int | None = None,
                   after: tuple[dt.datetime, int] | None = None) -> list[AccessView]:
    """The exports recorded, newest first: by `login`, from `since` (inclusive) to `until`
    (exclusive), real time; `after`: the (recorded_at, id) of the last one shown, for the
    next page. For the audit (services.audit), a page at a time."""
    stmt = select(AccessEvent)
    if after is not None:
        stmt = stmt.where(tuple_(col(AccessEvent.recorded_at), col(AccessEvent.id)) < tuple_(*after))
    if login:
        stmt = stmt.where(col(AccessEvent.login) == login)
    if since is not None:
        stmt = stmt.where(col(AccessEvent.recorded_at) >= since)
    if until is not None:
        stmt = stmt.where(col(AccessEvent.recorded_at) < until)
    stmt = stmt.order_by(col(AccessEvent.recorded_at).desc(), col(AccessEvent.id).desc())
    if limit:
        stmt = stmt.limit(limit)
    with reading(ctx.engine) as s:
        found = s.exec(stmt).all()
    return [_view(ctx, e) for e in found]


def _view(ctx: Context, e: AccessEvent) -> AccessView:
    return AccessView(
        id=e.id or 0, recorded_at=ctx.clock.local(e.recorded_at), login=e.login,
        actor_kind=Actor(e.actor_kind), role=e.role, via=e.via, source=ExportedList(e.source),
        filter_text=e.filter_text, filter=json.loads(e.filter_json), rows=e.rows, format=e.format,
        pesel_unmasked=e.pesel_unmasked, destination=e.destination,
    )
