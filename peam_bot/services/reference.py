"""Districts and strategic axes (themes), read from the database (admins may edit them), and the
names of the two kinds of organization (territorial, funcional)."""

from __future__ import annotations

from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import gettext
from peam_bot.services.text import normalize
from peam_bot.storage.models import District, Theme

_districts: list[tuple[str, str, bool]] = []
_themes: list[tuple[str, str]] = []


async def districts(session: AsyncSession) -> list[tuple[str, str, bool]]:
    """(slug, name, metropolitan), metropolitan districts first."""
    if not _districts:
        rows = await session.execute(
            select(District.slug, District.name, District.metropolitan).order_by(
                District.metropolitan.desc(), District.position
            )
        )
        _districts.extend((r[0], r[1], bool(r[2])) for r in rows)
    return _districts


async def themes(session: AsyncSession) -> list[tuple[str, str]]:
    if not _themes:
        rows = await session.execute(select(Theme.slug, Theme.name).order_by(Theme.position))
        _themes.extend((r[0], r[1]) for r in rows)
    return _themes


async def district_name(session: AsyncSession, slug: str | None) -> str:
    return next((name for s, name, _ in await districts(session) if s == slug), slug or "—")


async def theme_name(session: AsyncSession, slug: str | None) -> str:
    return next((name for s, name in await themes(session) if s == slug), slug or "—")


def org_type_label(org_type: str | None, locale: str) -> str:
    if org_type == "territorial":
        return gettext("territorial (junta vecinal, asociación de vivienda…)", locale)
    if org_type == "funcional":
        return gettext("funcional (comedor, club, gremio…)", locale)
    return ""


def invalidate() -> None:
    """Forget cached reference data (after an admin edits it)."""
    _districts.clear()
    _themes.clear()


def match_district(districts: list[tuple[str, str, bool]], typed: str, cutoff: float = 85.0) -> str | None:
    """The district a resident typed by name ("cayma", "JLByR", "jose luis bustamante"), if clear."""
    query = normalize(typed)
    if not query:
        return None
    aliases = {"jlbyr": "jlbyr", "bustamante": "jlbyr", "cercado": "arequipa", "asa": "alto-selva-alegre"}
    if query in aliases:
        return aliases[query]
    names = {slug: normalize(name) for slug, name, _m in districts}
    best = process.extractOne(query, names, scorer=fuzz.WRatio, score_cutoff=cutoff)
    return best[2] if best else None


def match_name(names: dict[str, str], typed: str, cutoff: float = 85.0) -> str | None:
    """The key of the option a resident typed by name ("movilidad", "cultura y patrimonio"), when one
    option fits clearly better than the others ("desarrollo" fits three themes: None)."""
    query = normalize(typed)
    if not query:
        return None
    choices = {key: normalize(name) for key, name in names.items()}
    best = process.extract(query, choices, scorer=fuzz.WRatio, score_cutoff=cutoff, limit=2)
    if not best or (len(best) > 1 and best[1][1] >= best[0][1] - 5):
        return None
    return str(best[0][2])
