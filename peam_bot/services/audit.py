"""The append-only audit trail of staff actions, and its export (CSV / XLSX)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services.spreadsheet import files
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


def _row(e: AuditEntry) -> list[object]:
    """Text cells go out defused (a leading =, +, -, @ is prefixed with '): see files.defuse."""
    return [
        e.id,
        e.created_at.strftime("%Y-%m-%d %H:%M:%S"),
        e.actor_id if e.actor_id is not None else "",
        e.action,
        e.target,
        e.before or "",
        e.after or "",
        e.reason or "",
    ]


async def export_file(session: AsyncSession, path: Path) -> int:
    """Write the whole trail to a .csv (UTF-8 with BOM, for spreadsheet programs) or .xlsx file."""
    suffix = files.export_format(path)
    rows = [_row(e) for e in await all_entries(session)]
    if suffix == ".xlsx":
        files.write_xlsx(path, [files.Sheet("auditoria", COLUMNS, rows)], defuse_text=True, stream=True)
    else:
        files.write_csv(path, COLUMNS, rows, bom=True, line_end="\r\n", defuse_text=True)
    return len(rows)
