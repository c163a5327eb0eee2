"""The search index over the portfolio, kept in memory and rebuilt when the projects change."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services import reference
from peam_bot.services.search import Hit, ProjectIndex, from_rows
from peam_bot.storage.models import Project, ProjectDistrict

_index: ProjectIndex | None = None
_version: tuple[int, object] | None = None


async def _current_version(session: AsyncSession) -> tuple[int, object]:
    count, latest = (
        await session.execute(select(func.count(Project.id), func.max(Project.updated_at)))
    ).one()
    return int(count), latest


async def index(session: AsyncSession) -> ProjectIndex:
    """The index, rebuilt if a project was added, removed or changed since it was built."""
    global _index, _version
    version = await _current_version(session)
    if _index is None or version != _version:
        names = {slug: name for slug, name, _m in await reference.districts(session)}
        districts: dict[int, list[str]] = {}
        for pid, slug in (
            await session.execute(select(ProjectDistrict.project_id, ProjectDistrict.district))
        ).all():
            districts.setdefault(pid, []).append(names.get(slug, slug))
        rows = (
            await session.execute(select(Project.id, Project.code, Project.name, Project.description))
        ).all()
        _index = from_rows((r.code, r.name, r.description, districts.get(r.id, [])) for r in rows)
        _version = version
    return _index


async def search(session: AsyncSession, query: str, limit: int = 5) -> list[Hit]:
    return (await index(session)).search(query, limit)


def forget() -> None:
    global _index, _version
    _index, _version = None, None
