"""The reference data a cell may name, as vocabularies: districts and strategic axes, by slug or name."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import gettext
from peam_bot.services import reference
from peam_bot.services.spreadsheet.schema import Vocabulary


async def districts(session: AsyncSession) -> Vocabulary:
    """Slug or name, with or without its note in parentheses; "cercado" and "JLByR" too."""
    vocabulary = Vocabulary()
    for slug, name, _metro in await reference.districts(session):
        vocabulary.add(slug, slug, name, re.sub(r"\s*\(.*?\)", "", name))
    vocabulary.add("arequipa", "cercado", "cercado de arequipa")
    vocabulary.add("jlbyr", "bustamante y rivero", "jlbyr", "j l bustamante y rivero")
    return vocabulary


async def axes(session: AsyncSession) -> Vocabulary:
    """Slug, Spanish name or English name; the slugs in the axes' order."""
    vocabulary = Vocabulary()
    for slug, name in await reference.themes(session):
        vocabulary.add(slug, slug, name, gettext(name, "en"))
    return vocabulary
