"""Numbered codes (INI-2026-00012, EV-0003): one counter row per series, bumped in the transaction
that uses the number, so a number is never given twice."""

from __future__ import annotations

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.storage.models import CodeCounter

# Built once, on the table (no counter is ever loaded as an object, so the ORM's bulk-update
# bookkeeping has nothing to do): building and routing the statement cost more than running it.
_COUNTERS = CodeCounter.__table__
_BUMP_COUNTER = (
    update(_COUNTERS)
    .where(_COUNTERS.c.name == bindparam("counter"))
    .values(value=_COUNTERS.c.value + 1)
    .returning(_COUNTERS.c.value)
)


async def next_number(session: AsyncSession, name: str) -> int:
    """The next number of the series `name` (1 for a new series)."""
    params = {"counter": name}
    value = (await session.execute(_BUMP_COUNTER, params)).scalar_one_or_none()
    if value is not None:
        return int(value)
    try:
        async with session.begin_nested():
            await session.execute(insert(CodeCounter).values(name=name, value=1))
        return 1
    except IntegrityError:
        return int((await session.execute(_BUMP_COUNTER, params)).scalar_one())


async def reserve(session: AsyncSession, name: str, number: int) -> None:
    """Make sure the series `name` never gives `number` or a lower one again (a code given by hand,
    e.g. in an imported spreadsheet)."""
    raise_to = (
        update(_COUNTERS).where(_COUNTERS.c.name == name, _COUNTERS.c.value < number).values(value=number)
    )
    if (await session.execute(raise_to)).rowcount:  # type: ignore[attr-defined]
        return
    try:
        async with session.begin_nested():
            await session.execute(insert(CodeCounter).values(name=name, value=number))
    except IntegrityError:  # the series exists (perhaps just made by someone else)
        await session.execute(raise_to)
