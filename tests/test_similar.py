"""The similar-initiative ranking against its definition, on many random initiatives close together."""

from __future__ import annotations

import random

from rapidfuzz import fuzz

from peam_bot.services import initiatives, text
from peam_bot.services.initiatives import Candidate, Candidates, Draft

WORDS = """vereda pista parque luminarias cancha losa agua desagüe riego puente calle avenida plaza
árboles basura reciclaje seguridad serenazgo colegio posta salud mercado feria paradero bus ciclovía
muro contención huaico río chili misti cayma yanahuara cercado paucarpata""".split()


def phrase(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def by_definition(rows: list[tuple[str, str, str, float | None, float | None]], draft: Draft, limit: int) -> list:
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
        expected = {
            n for n, (a, b) in enumerate(places) if initiatives.distance_m(lat, lon, a, b) < 1000
        }
        assert {i for i, _d in candidates.close_to(lat, lon)} == expected
