"""What happened to an initiative, in words, for the staff: the audit trail (``/auditoria``) and the
dated history with who did each step (``/iniciativa``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import N_, gettext
from peam_bot.services import initiatives, mesas, staff
from peam_bot.services.formatting import fmt_datetime
from peam_bot.services.moderation.cards import STAFF_LOCALE
from peam_bot.services.rendering import status_label
from peam_bot.services.text import esc, truncate
from peam_bot.storage.models import Initiative, InitiativeEvent

AUDIT_LABELS = {
    "review": N_("tomó la iniciativa para revisarla"),
    "take_over": N_("tomó la revisión que tenía otra persona"),
    "assign": N_("asignó la revisión"),
    "assign_mesa": N_("asignó a una mesa de concertación"),
    "necesita_informacion": N_("pidió información a la persona autora"),
    "answer": N_("respondió"),  # the line already names the author as who
    "aceptada": N_("aceptó"),
    "vinculada": N_("vinculó a un proyecto"),
    "rechazada": N_("rechazó"),
    "duplicada": N_("marcó como duplicada"),
    "hide": N_("ocultó al público"),
    "unhide": N_("volvió a mostrar"),
    "block": N_("bloqueó a la persona autora"),
    "unblock": N_("desbloqueó a la persona autora"),
    "project_update": N_("publicó una novedad del proyecto"),
    "portfolio_import": N_("importó la cartera"),
}


async def _audit_value(session: AsyncSession, action: str, value: str | None) -> str:
    if not value:
        return "—"
    if action in ("assign", "take_over") and value.isdigit():
        return await staff.display_name(session, int(value))
    if action == "assign_mesa":
        return await mesas.mesa_name(session, value)
    if value in initiatives.STATUS_LABELS:
        return status_label(value, STAFF_LOCALE)
    return value


async def audit_line(session: AsyncSession, entry: Any) -> str:
    """One audit entry in words: when · who · what (before → after) — reason."""
    who = (
        await staff.display_name(session, entry.actor_id)
        if entry.actor_id
        else gettext("la persona autora", STAFF_LOCALE)
    )
    label = AUDIT_LABELS.get(entry.action)
    what = gettext(label, STAFF_LOCALE) if label else entry.action
    line = f"• {fmt_datetime(entry.created_at, STAFF_LOCALE)} · {esc(who)} · {esc(what)}"
    if entry.before or entry.after:
        before = await _audit_value(session, entry.action, entry.before)
        after = await _audit_value(session, entry.action, entry.after)
        line += f" ({esc(before)} → {esc(after)})"
    if entry.reason:
        line += f" — {esc(truncate(entry.reason, 200))}"
    return line


async def history_lines(session: AsyncSession, ini: Initiative, locale: str = STAFF_LOCALE) -> list[str]:
    """The full dated history with who did each step (for staff)."""
    await session.flush()
    events = (
        await session.execute(
            select(InitiativeEvent)
            .where(InitiativeEvent.initiative_id == ini.id)
            .order_by(InitiativeEvent.id)
        )
    ).scalars()
    lines = []
    for ev in events:
        who = (
            await staff.display_name(session, ev.actor_id)
            if ev.actor_id
            else gettext("la persona autora", locale)
        )
        line = (
            f"• {fmt_datetime(ev.created_at, locale)} · {esc(status_label(ev.status, locale))} · {esc(who)}"
        )
        if ev.note:
            line += f" — {esc(truncate(ev.note, 200))}"
        lines.append(line)
    return lines
