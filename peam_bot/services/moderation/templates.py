"""The reasons for not admitting an initiative (``/plantillas``): a title and the text the author
receives, listed in the order they were added; deleting one keeps its row (inactive) for the audit."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services import audit
from peam_bot.services.initiatives import InvalidInput, check_length
from peam_bot.services.moderation.decisions import validate_reason
from peam_bot.services.moderation.refusals import Refused
from peam_bot.storage.models import ReplyTemplate, utcnow

TEMPLATE_TITLE_MAX = 40


async def templates(session: AsyncSession, kind: str = "rechazo") -> list[ReplyTemplate]:
    stmt = (
        select(ReplyTemplate)
        .where(ReplyTemplate.kind == kind, ReplyTemplate.active.is_(True))
        .order_by(ReplyTemplate.position, ReplyTemplate.id)
    )
    return list((await session.execute(stmt)).scalars())


async def template(session: AsyncSession, template_id: int) -> ReplyTemplate | None:
    tpl = await session.get(ReplyTemplate, template_id)
    return tpl if tpl is not None and tpl.active else None


def parse_template(value: str) -> tuple[str, str]:
    """ "Título | texto" → (title, body)."""
    title, sep, body = value.partition("|")
    if not sep:
        raise InvalidInput("format")
    return check_length(title, 3, TEMPLATE_TITLE_MAX), validate_reason(body)


async def save_template(
    session: AsyncSession, actor_id: int, title: str, body: str, template_id: int | None = None
) -> ReplyTemplate:
    if template_id is None:
        position = (
            await session.execute(select(func.coalesce(func.max(ReplyTemplate.position), 0)))
        ).scalar_one()
        tpl = ReplyTemplate(kind="rechazo", title=title, body=body, active=True, position=int(position) + 1)
        session.add(tpl)
        await session.flush()
        audit.record(session, actor_id, "template_add", f"template:{tpl.id}", None, f"{title} | {body}")
        return tpl
    tpl = await session.get(ReplyTemplate, template_id)
    if tpl is None or not tpl.active:
        raise Refused("gone")
    before = f"{tpl.title} | {tpl.body}"
    tpl.title, tpl.body, tpl.updated_at = title, body, utcnow()
    await session.flush()
    audit.record(session, actor_id, "template_edit", f"template:{tpl.id}", before, f"{title} | {body}")
    return tpl


async def delete_template(session: AsyncSession, actor_id: int, template_id: int) -> bool:
    tpl = await session.get(ReplyTemplate, template_id)
    if tpl is None or not tpl.active:
        return False
    tpl.active = False
    await session.flush()
    audit.record(
        session, actor_id, "template_delete", f"template:{tpl.id}", f"{tpl.title} | {tpl.body}", None
    )
    return True
