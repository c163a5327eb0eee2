"""The moderators' queue (``/cola``): pending initiatives, oldest first, with how many similar ones
exist, and its counts per district and theme; and the similar initiatives and projects that the
triage offers as the original of a duplicate or the project to link to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services import initiatives, portfolio, project_search
from peam_bot.services.moderation.states import PENDING
from peam_bot.services.text import truncate
from peam_bot.storage.models import Initiative, Project


@dataclass
class QueueItem:
    ini: Initiative
    similar: int


async def pending(
    session: AsyncSession,
    district: str | None = None,
    theme: str | None = None,
    page: int = 0,
    per_page: int = 5,
) -> tuple[list[QueueItem], int]:
    """Pending initiatives, oldest first, with how many similar ones exist."""
    cond = [Initiative.status.in_(PENDING)]  # hidden ones too: they still wait for a decision
    if district:
        cond.append(Initiative.district == district)
    if theme:
        cond.append(Initiative.theme == theme)
    total = int(
        (await session.execute(select(func.count()).select_from(Initiative).where(*cond))).scalar_one()
    )
    rows = (
        await session.execute(
            select(Initiative)
            .where(*cond)
            .order_by(Initiative.created_at, Initiative.id)
            .offset(page * per_page)
            .limit(per_page)
        )
    ).scalars()
    page_rows = list(rows)
    if not page_rows:
        return [], total
    candidates = await initiatives.similar_candidates(session)
    return [QueueItem(ini, len(_similar_to(candidates, ini))) for ini in page_rows], total


async def facets(
    session: AsyncSession, district: str | None = None, theme: str | None = None
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Pending counts per district (within ``theme``, if set) and per theme (within ``district``)."""
    is_pending = Initiative.status.in_(PENDING)
    by_district = select(Initiative.district, func.count()).where(is_pending).group_by(Initiative.district)
    if theme:
        by_district = by_district.where(Initiative.theme == theme)
    by_theme = select(Initiative.theme, func.count()).where(is_pending).group_by(Initiative.theme)
    if district:
        by_theme = by_theme.where(Initiative.district == district)
    districts = (await session.execute(by_district)).all()
    themes = (await session.execute(by_theme)).all()
    return [(d, int(n)) for d, n in districts], [(t, int(n)) for t, n in themes]


def _similar_to(
    candidates: initiatives.Candidates, ini: Initiative, limit: int = 4
) -> list[initiatives.Similar]:
    draft = initiatives.Draft(
        title=ini.title, description=ini.description, latitude=ini.latitude, longitude=ini.longitude
    )
    found = initiatives.rank_similar(candidates, draft, limit=limit + 1)
    return [s for s in found if s.code != ini.code][:limit]


async def similar_initiatives(
    session: AsyncSession, ini: Initiative, limit: int = 4
) -> list[initiatives.Similar]:
    return _similar_to(await initiatives.similar_candidates(session), ini, limit)


async def similar_projects(session: AsyncSession, ini: Initiative, limit: int = 4) -> list[Project]:
    codes: list[str] = []
    for query in (ini.title, truncate(ini.description, 100)):  # the index ranks short queries best
        for hit in await project_search.search(session, query, limit=limit):
            if hit.code not in codes:
                codes.append(hit.code)
    return await portfolio.get_projects(session, codes[:limit])
