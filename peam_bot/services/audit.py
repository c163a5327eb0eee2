"""The append-only audit trail of staff actions, and its export (CSV / XLSX)."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.storage.models import AuditEntry, utcnow


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _append_only(_mapper: object, _connection: object, _target: AuditEntry) -> None:
    raise PermissionError("the audit trail is append-only")


COLUMNS = ("id", "fecha_utc", "actor_id", "accion", "objeto", "antes", "despues", "motivo")


def record(
    session: AsyncSession,
    actor_id: int | None,
    action: str,
    target: str,
    before: str | None = None,
    after: str | None = None,
    reason: str | None = None,
    when: datetime | None = None,
) -> AuditEntry:
    """Add one entry to the trail (in the caller's transaction: it lands exactly when the action does)."""
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        target=target,
        before=before,
        after=after,
        reason=reason,
        created_at=when or utcnow(),
    )
    session.add(entry)
    return entry


async def for_target(session: AsyncSession, target: str, limit: int = 50) -> list[AuditEntry]:
    rows = await session.execute(
        select(AuditEntry).where(AuditEntry.target == target).order_by(AuditEntry.id.desc()).limit(limit)
    )
    return list(reversed(list(rows.scalars())))


async def all_entries(session: AsyncSession) -> list[AuditEntry]:
    return list((await session.execute(select(AuditEntry).order_by(AuditEntry.id))).scalars())


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str | None) -> str:
    """A text cell that a spreadsheet program will not run as a formula (CSV/formula injection)."""
    value = value or ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _row(e: AuditEntry) -> list[object]:
    return [
        e.id,
        e.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        e.actor_id if e.actor_id is not None else "",
        _text(e.action),
        _text(e.target),
        _text(e.before),
        _text(e.after),
        _text(e.reason),
    ]


async def export_file(session: AsyncSession, path: Path) -> int:
    """Write the whole trail to a .csv (UTF-8 with BOM, for spreadsheet programs) or .xlsx file."""
    entries = await all_entries(session)
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("auditoria")
        ws.append(list(COLUMNS))
        for e in entries:
            ws.append(_row(e))
        wb.save(path)
    elif path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(COLUMNS)
            writer.writerows(_row(e) for e in entries)
    else:
        raise ValueError("use a .csv or .xlsx file")
    return len(entries)
