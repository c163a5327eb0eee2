"""The similar-initiative ranking against its definition, on many random initiatives close together."""

from __future__ import annotations

import random
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import delete, select, update

from peam_bot.services import initiatives, text
from peam_bot.services.initiatives import Candidate, Candidates, Draft
from peam_bot.storage.models import Initiative, InitiativeEvent, InitiativePhoto

WORDS = """vereda pista parque luminarias cancha losa agua desagüe riego puente calle avenida plaza
árboles basura reciclaje seguridad serenazgo colegio posta salud mercado feria paradero bus ciclovía
muro contención huaico río chili misti cayma yanahuara cercado paucarpata""".split()


def phrase(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def by_definition(
    rows: list[tuple[str, str, str, float | None, float | None]], draft: Draft, limit: int
) -> list:
    """Every candidate scored in full: the better of 0.9 × the titles' token_set_ratio and the whole
    texts' token_sort_ratio, plus 15 (< 300 m) or 7 (< 1 km) when both have a place; kept from 62."""
    q_title = text.normalize(draft.title or "")
    q_full = text.normalize(f"{draft.title} {draft.description}")
    found = []
    for code, title, description, lat, lon in rows:
        c_title = text.normalize(title)
        c_full = f"{c_title} {text.normalize(description)}"
        score = max(fuzz.token_set_ratio(q_title, c_title) * 0.9, fuzz.token_sort_ratio(q_full, c_full))
        dist = None
        if None not in (draft.latitude, draft.longitude, lat, lon):
            dist = initiatives.distance_m(draft.latitude, draft.longitude, lat, lon)  # type: ignore[arg-type]
            score += 15 if dist < 300 else 7 if dist < 1000 else 0
        if score >= 62:
            found.append((code, min(score, 100.0), dist))
    found.sort(key=lambda s: (-s[1], s[0]))
    return [(code, round(score, 6), dist) for code, score, dist in found[:limit]]


def test_rank_similar_is_its_definition() -> None:
    rng = random.Random(2026)
    for spread in (0.002, 0.01, 0.05):  # degrees around one point: most, some or few close together
        rows = []
        candidates = Candidates()
        for n in range(400):
            title, description = phrase(rng, rng.randint(2, 5)), phrase(rng, rng.randint(6, 30))
            located = rng.random() < 0.7
            lat = -16.4 + rng.uniform(-spread, spread) if located else None
            lon = -71.53 + rng.uniform(-spread, spread) if located else None
            code = f"INI-2026-{n:05d}"
            rows.append((code, title, description, lat, lon))
            compared = initiatives._compared(initiatives.search_text(title, description))
            candidates.add(Candidate(code, title, "recibida", lat, lon), (title, lat, lon, *compared))
        shown = 0
        for n in range(120):
            located = n % 3 > 0
            draft = Draft(
                title=phrase(rng, rng.randint(2, 5)),
                description=phrase(rng, rng.randint(6, 30)),
                latitude=-16.4 + rng.uniform(-spread, spread) if located else None,
                longitude=-71.53 + rng.uniform(-spread, spread) if located else None,
            )
            for limit in (3, 50):
                got = [
                    (s.code, round(s.score, 6), s.distance_m)
                    for s in initiatives.rank_similar(candidates, draft, limit)
                ]
                assert got == by_definition(rows, draft, limit)
                shown += len(got)
        assert shown > 100  # the comparison was not between two empty lists


def test_close_to_finds_exactly_the_places_under_a_kilometre() -> None:
    rng = random.Random(5)
    candidates = Candidates()
    places = [(-16.4 + rng.uniform(-0.02, 0.02), -71.53 + rng.uniform(-0.02, 0.02)) for _ in range(500)]
    for n, (lat, lon) in enumerate(places):
        candidates.add(Candidate(f"C{n}", "t", "recibida", lat, lon), ("t", lat, lon, "t", "t"))
    for lat, lon in places[:50]:
        expected = {n for n, (a, b) in enumerate(places) if initiatives.distance_m(lat, lon, a, b) < 1000}
        assert {i for i, _d in candidates.close_to(lat, lon)} == expected


async def test_kept_candidates_follow_every_change_to_the_table(session_factory: Any) -> None:
    """Candidates are kept between checks and rebuilt (or extended) when the eligible initiatives
    the database has differ from the last ones: after each kind of change (sent through the bot, or
    written in plain SQL by anyone), they are what a first look at the table gives."""
    from peam_bot.services import users

    rng = random.Random(3)

    def draft(n: int) -> Draft:
        return Draft(
            title=f"{phrase(rng, 3)} {n}",
            description=phrase(rng, 12),
            district="cayma",
            theme="ambiente",
            latitude=-16.4 + rng.uniform(-0.01, 0.01) if n % 2 else None,
            longitude=-71.53 + rng.uniform(-0.01, 0.01) if n % 2 else None,
        )

    async def check(expected_codes: list[str]) -> None:
        async with session_factory() as s:
            kept = await initiatives.similar_candidates(s)
            engine = s.sync_session.get_bind()
            initiatives._last.pop(engine, None)  # a first look, for comparison
            initiatives._fixed.pop(engine, None)
            fresh = await initiatives.similar_candidates(s)
        assert sorted(kept) == sorted(fresh)
        assert sorted(zip(kept.titles, kept.fulls, strict=True)) == sorted(
            zip(fresh.titles, fresh.fulls, strict=True)
        )
        # the same places, each pointing at the same initiative
        assert sorted((lat, lon, kept[i].code) for lat, lon, i in kept.located) == sorted(
            (lat, lon, fresh[i].code) for lat, lon, i in fresh.located
        )
        assert sorted(c.code for c in kept) == sorted(expected_codes)

    async with session_factory() as s, s.begin():
        await users.accept_consent(s, 1, "es")
    codes: list[str] = []
    await check(codes)
    for n in range(6):  # sent through the bot, checked in between: the kept list grows
        async with session_factory() as s, s.begin():
            codes.append((await initiatives.submit(s, 1, draft(n), None, 2026)).code)
        await check(codes)
    async with session_factory() as s, s.begin():  # declined and hidden in plain SQL
        await s.execute(update(Initiative).where(Initiative.code == codes[0]).values(status="rechazada"))
        await s.execute(update(Initiative).where(Initiative.code == codes[1]).values(hidden=True))
        codes.append((await initiatives.submit(s, 1, draft(7), None, 2026)).code)
    await check(codes[2:])
    async with session_factory() as s, s.begin():  # a status shown in the list changes, nothing added
        await s.execute(update(Initiative).where(Initiative.code == codes[2]).values(status="aceptada"))
    await check(codes[2:])
    async with session_factory() as s:
        kept = await initiatives.similar_candidates(s)
        assert {c.code: c.status for c in kept}[codes[2]] == "aceptada"
    async with session_factory() as s, s.begin():  # back in, and one removed altogether
        await s.execute(update(Initiative).where(Initiative.code == codes[1]).values(hidden=False))
        gone = select(Initiative.id).where(Initiative.code == codes[3]).scalar_subquery()
        await s.execute(delete(InitiativeEvent).where(InitiativeEvent.initiative_id == gone))
        await s.execute(delete(InitiativePhoto).where(InitiativePhoto.initiative_id == gone))
        await s.execute(delete(Initiative).where(Initiative.code == codes[3]))
    await check([codes[1], codes[2], *codes[4:]])


async def test_what_a_transaction_rolled_back_read_is_not_kept(session_factory: Any) -> None:
    """A moderator's transaction declines an initiative, reads the candidates (without it), and rolls
    back; the candidates are still the committed ones, before and after someone else's change."""
    from peam_bot.services import users

    rng = random.Random(4)
    async with session_factory() as s, s.begin():
        await users.accept_consent(s, 1, "es")
        codes = []
        for n in range(3):
            draft = Draft(
                title=f"{phrase(rng, 3)} {n}", description=phrase(rng, 12), district="cayma", theme="ambiente"
            )
            codes.append((await initiatives.submit(s, 1, draft, None, 2026)).code)
    async with session_factory() as s:
        assert sorted(c.code for c in await initiatives.similar_candidates(s)) == codes
    async with session_factory() as s:
        await s.execute(update(Initiative).where(Initiative.code == codes[0]).values(status="rechazada"))
        assert codes[0] not in [c.code for c in await initiatives.similar_candidates(s)]
        await s.rollback()
    async with session_factory() as s:
        assert sorted(c.code for c in await initiatives.similar_candidates(s)) == codes
    async with session_factory() as s, s.begin():
        await s.execute(update(Initiative).where(Initiative.code == codes[1]).values(status="aceptada"))
    async with session_factory() as s:
        found = {c.code: c.status for c in await initiatives.similar_candidates(s)}
    assert found == {codes[0]: "recibida", codes[1]: "aceptada", codes[2]: "recibida"}


async def test_an_initiative_rolled_back_leaves_no_text_behind(session_factory: Any) -> None:
    """A transaction sends an initiative, reads the candidates (with it) and rolls back: on SQLite the
    next initiative sent may get the same id and code; the check shows that one's title."""
    from peam_bot.services import users

    def draft(title: str) -> Draft:
        return Draft(
            title=title, description=phrase(random.Random(6), 12), district="cayma", theme="ambiente"
        )

    async with session_factory() as s, s.begin():
        await users.accept_consent(s, 1, "es")
    async with session_factory() as s:
        await initiatives.submit(s, 1, draft("Vereda nueva en la calle Misti"), None, 2026)
        assert [c.title for c in await initiatives.similar_candidates(s)] == [
            "Vereda nueva en la calle Misti"
        ]
        await s.rollback()
    async with session_factory() as s, s.begin():
        await initiatives.submit(s, 1, draft("Luminarias en el parque Selva"), None, 2026)
    async with session_factory() as s:
        assert [c.title for c in await initiatives.similar_candidates(s)] == ["Luminarias en el parque Selva"]


async def test_changes_made_by_another_process_are_seen(db_url: str, session_factory: Any) -> None:
    """Another engine on the same database (another process: the bot's second worker, a command-line
    tool) sends, declines and changes initiatives; this one's check sees each change at once."""
    from peam_bot.services import users
    from peam_bot.storage.db import make_engine, make_session_factory

    from .conftest import FAST_PATHS

    rng = random.Random(8)
    other_engine = make_engine(db_url, fast_paths=FAST_PATHS)
    other = make_session_factory(other_engine)
    try:
        async with other() as s, s.begin():
            await users.accept_consent(s, 1, "es")

        async def statuses() -> dict[str, str]:
            async with session_factory() as s:
                return {c.code: c.status for c in await initiatives.similar_candidates(s)}

        codes = []
        for n in range(3):
            async with other() as s, s.begin():
                draft = Draft(
                    title=f"{phrase(rng, 3)} {n}",
                    description=phrase(rng, 12),
                    district="cayma",
                    theme="ambiente",
                )
                codes.append((await initiatives.submit(s, 1, draft, None, 2026)).code)
            assert sorted(await statuses()) == codes
        async with other() as s, s.begin():
            await s.execute(update(Initiative).where(Initiative.code == codes[0]).values(status="rechazada"))
        assert await statuses() == {codes[1]: "recibida", codes[2]: "recibida"}
        async with other() as s, s.begin():
            await s.execute(update(Initiative).where(Initiative.code == codes[1]).values(status="aceptada"))
        assert await statuses() == {codes[1]: "aceptada", codes[2]: "recibida"}
    finally:
        await other_engine.dispose()
