"""Initiatives: validation of the form, similar-initiative check, submission, tracking."""

from __future__ import annotations

import math
import re
from bisect import bisect_left, insort
from collections import ChainMap
from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from rapidfuzz import fuzz, process
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from peam_bot.i18n import N_
from peam_bot.services import codes, text
from peam_bot.services.moderation.announcements import announce_to_staff
from peam_bot.storage import hot, transactions
from peam_bot.storage.models import (
    Initiative,
    InitiativeEvent,
    InitiativePhoto,
    utcnow,
)

TITLE_MIN, TITLE_MAX = 5, 120
DESC_MIN, DESC_MAX = 20, 2000
ORG_MIN, ORG_MAX = 3, 120
MAX_PHOTOS = 3
ORG_TYPES = ("territorial", "funcional")

STATUS_LABELS = {
    "recibida": N_("Recibida"),
    "en_revision": N_("En revisión"),
    "necesita_informacion": N_("Necesita información"),
    "aceptada": N_("Aceptada"),
    "vinculada": N_("Vinculada a un proyecto"),
    "rechazada": N_("No admitida"),
    "duplicada": N_("Duplicada"),
}


@dataclass
class Draft:
    """A resident's half-filled initiative (kept in the conversation state)."""

    title: str | None = None
    description: str | None = None
    district: str | None = None
    theme: str | None = None
    photos: list[str] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    org_name: str | None = None
    org_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Draft:
        data = data or {}
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        draft = cls(**known)
        draft.photos = list(draft.photos or [])
        return draft

    def missing(self) -> list[str]:
        return [n for n in ("title", "description", "district", "theme") if not getattr(self, n)]


class InvalidInput(ValueError):
    """A value the resident typed does not fit; `reason` says why (for the message)."""

    def __init__(self, reason: str, **params: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def check_length(value: str, lo: int, hi: int) -> str:
    value = text.clean_input(value)
    if not value:
        raise InvalidInput("empty", min=lo, max=hi)
    if not text.has_letters(value):
        raise InvalidInput("no_letters", min=lo, max=hi)
    if len(value) < lo:
        raise InvalidInput("too_short", min=lo, max=hi)
    if len(value) > hi:
        raise InvalidInput("too_long", min=lo, max=hi)
    return value


def validate_title(value: str) -> str:
    value = check_length(value.replace("\n", " "), TITLE_MIN, TITLE_MAX)
    if text.letter_count(value) < 3:
        raise InvalidInput("no_letters", min=TITLE_MIN, max=TITLE_MAX)
    return value


def validate_description(value: str) -> str:
    value = check_length(value, DESC_MIN, DESC_MAX)
    if text.letter_count(value) < 10:
        raise InvalidInput("no_letters", min=DESC_MIN, max=DESC_MAX)
    return value


def validate_org_name(value: str) -> str:
    return check_length(value.replace("\n", " "), ORG_MIN, ORG_MAX)


# the province of Arequipa, with a margin (its 29 districts lie within this box)
PROVINCE_BOX = (-17.0, -15.9, -72.3, -71.0)  # south, north, west, east


def validate_location(lat: float, lon: float) -> tuple[float, float]:
    south, north, west, east = PROVINCE_BOX
    if not (south <= lat <= north and west <= lon <= east):
        raise InvalidInput("bad_location")
    return lat, lon


def search_text(title: str, description: str) -> str:
    return text.normalize(title) + "\n" + text.normalize(description)


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


@dataclass
class Similar:
    code: str
    title: str
    status: str
    score: float
    distance_m: float | None


SIMILAR_THRESHOLD = 62.0
NEAR_BONUS = 15.0  # both have a location less than 300 m apart
CLOSE_BONUS = 7.0  # less than 1 km apart
CLOSE_M = 1000.0
# how far apart in latitude two places less than CLOSE_M apart can be, in degrees (a great-circle
# distance is never shorter than the difference in latitude alone), with a little slack for rounding
_CLOSE_DEG = math.degrees(CLOSE_M / 6_371_000.0) * 1.001


class Candidate(NamedTuple):
    code: str
    title: str
    status: str
    latitude: float | None
    longitude: float | None


class Candidates(list[Candidate]):
    """The initiatives a new one may repeat, with the texts `rank_similar` compares ready, and the
    located ones sorted by latitude (to find those close to a place without a look at every one)."""

    def __init__(self) -> None:
        super().__init__()
        self.titles: list[str] = []
        self.fulls: list[str] = []
        self.located: list[tuple[float, float, int]] = []  # (latitude, longitude, index)

    def add(self, candidate: Candidate, fixed: Fixed) -> None:
        index = len(self)
        self.append(candidate)
        self.titles.append(fixed[3])
        self.fulls.append(fixed[4])
        if candidate.latitude is not None and candidate.longitude is not None:
            insort(self.located, (candidate.latitude, candidate.longitude, index))

    def add_all(self, items: Iterable[tuple[Candidate, Fixed]]) -> None:
        """`add` for many: the places are sorted once at the end when more than a few were added."""
        located = self.located
        before = len(located)
        for candidate, fixed in items:
            index = len(self)
            self.append(candidate)
            self.titles.append(fixed[3])
            self.fulls.append(fixed[4])
            if candidate.latitude is not None and candidate.longitude is not None:
                located.append((candidate.latitude, candidate.longitude, index))
        added = located[before:]
        if len(added) > 8:
            located.sort()
        elif added:
            del located[before:]
            for place in added:
                insort(located, place)

    def copy(self) -> Candidates:  # type: ignore[override]
        out = Candidates()
        out.extend(self)
        out.titles = self.titles.copy()
        out.fulls = self.fulls.copy()
        out.located = self.located.copy()
        return out

    def close_to(self, lat: float, lon: float) -> list[tuple[int, float]]:
        """(index, distance in m) of the candidates less than CLOSE_M from the place."""
        located = self.located
        out = []
        for k in range(bisect_left(located, (lat - _CLOSE_DEG,)), len(located)):
            c_lat, c_lon, index = located[k]
            if c_lat > lat + _CLOSE_DEG:
                break
            dist = distance_m(lat, lon, c_lat, c_lon)
            if dist < CLOSE_M:
                out.append((index, dist))
        return out


# An initiative's text and place never change once it is sent, so each database's are read once per
# process, with the texts `rank_similar` compares (keyed by id and code: a code is never given twice,
# even if SQLite reuses an id).
Fixed = tuple[str, float | None, float | None, str, str]  # title, lat, lon, compared title, full text
_fixed: WeakKeyDictionary[Any, dict[tuple[int, str], Fixed]] = WeakKeyDictionary()

Key = tuple[int, str, str]  # id, code, status of an eligible initiative


@dataclass
class _Last:
    """What the last check of a database kept: the keys it read, in id order, and the candidates
    built from them."""

    keys: list[Key]
    candidates: Candidates


_last: WeakKeyDictionary[Any, _Last] = WeakKeyDictionary()

_EXCLUDED = ("rechazada", "duplicada")

# The key of every initiative a new one may repeat (not declined, not a duplicate, not hidden), in
# one statement, on every check. Which initiatives count and their status change (a decision, a
# hidden one, a new one), and whoever changes them (the bot, a command-line tool, another process,
# plain SQL), this read sees it: nothing else needs to keep track of changes. (Migration 0004 had
# triggers bump one counter row on every new initiative and change of status, so that the check could
# skip this read; on PostgreSQL that row's lock made every such transaction wait for the one before
# it to commit. Migration 0005 removed it.)
_ELIGIBLE = (
    select(Initiative.id, Initiative.code, Initiative.status)
    .where(Initiative.status.notin_(_EXCLUDED), Initiative.hidden.is_(False))
    .order_by(Initiative.id)
)


async def _read_fixed(
    session: AsyncSession, keys: list[Key], fixed: MutableMapping[tuple[int, str], Fixed]
) -> None:
    """The title, text and place of the initiatives of `keys` that `fixed` does not have yet."""
    missing = [ident for ident, code, _s in keys if (ident, code) not in fixed]
    for start in range(0, len(missing), 500):
        stmt = select(
            Initiative.id,
            Initiative.code,
            Initiative.title,
            Initiative.search_text,
            Initiative.latitude,
            Initiative.longitude,
        ).where(Initiative.id.in_(missing[start : start + 500]))
        for r in await session.execute(stmt):
            fixed[(r.id, r.code)] = (r.title, r.latitude, r.longitude, *_compared(r.search_text))


async def similar_candidates(session: AsyncSession) -> Candidates:
    """The initiatives a new one may repeat (not declined, not duplicates, not hidden), as the
    session's transaction sees them now.

    Every call reads the eligible keys (id, code, status) from the database, so the answer is the
    database's own in any process, whatever changed it; what is kept per process is only what cannot
    go stale: each initiative's title, text and place (read once), and the candidates last built,
    returned again while the keys are the same (`_start` says what it does when they are not)."""
    engine = session.sync_session.get_bind()
    shared = _fixed.setdefault(engine, {})
    # What a transaction that changed initiatives itself reads is not kept: it may yet roll back
    # (and on SQLite the same id and code may then go to another initiative, with another text).
    keep = not await transactions.wrote(session)
    fixed: MutableMapping[tuple[int, str], Fixed] = shared if keep else ChainMap({}, shared)
    keys: list[Key] = await hot.rows(session, _ELIGIBLE)  # type: ignore[assignment]
    last = _last.get(engine)
    if last is not None and keys == last.keys:
        return last.candidates
    out, new = _start(keys, last)
    await _read_fixed(session, new, fixed)
    out.add_all(
        (Candidate(code, f[0], status, f[1], f[2]), f)
        for ident, code, status in new
        if (f := fixed.get((ident, code))) is not None
    )
    if keep and len(out) == len(keys):  # shorter: one was removed between the two reads
        _last[engine] = _Last(keys, out)
    return out


def _start(keys: list[Key], last: _Last | None) -> tuple[Candidates, list[Key]]:
    """A new object for the candidates of `keys` (the last one may be in use), and the keys still to
    add to it: a copy of the last candidates when only new initiatives were added after them (the
    usual case on Enviar: the new ones are to add) or only statuses changed (a moderator's decision:
    changed in the copy); empty otherwise (one declined, hidden or removed: all are to add)."""
    if last is not None and len(last.candidates) == len(last.keys):
        known = len(last.keys)
        if len(keys) > known and keys[:known] == last.keys:
            return last.candidates.copy(), keys[known:]
        if len(keys) == known:
            changed = [i for i, (now, was) in enumerate(zip(keys, last.keys, strict=True)) if now != was]
            if all(keys[i][:2] == last.keys[i][:2] for i in changed):
                out = last.candidates.copy()
                for i in changed:
                    out[i] = out[i]._replace(status=keys[i][2])
                return out, []
    return Candidates(), keys


async def find_similar(session: AsyncSession, draft: Draft, limit: int = 3) -> list[Similar]:
    """Existing initiatives most like the draft: fuzzy text match, boosted when they are close by."""
    if not draft.title:
        return []
    return rank_similar(await similar_candidates(session), draft, limit)


def _compared(search: str) -> tuple[str, str]:
    """An initiative's normalised title, and its whole text with the words sorted: what
    `token_sort_ratio` compares, computed once per initiative instead of at every comparison (the
    comparison of a draft with 2 000 initiatives went from 7.9 to about 3 ms)."""
    title, _, rest = search.partition("\n")
    return title, _sorted_words(f"{title} {rest}")


def _sorted_words(value: str) -> str:
    return " ".join(sorted(value.split()))


# A score a hair under a bar still goes through the exact comparison with the threshold below, so
# that a cut-off never decides on its own what floating-point rounding would have let in.
_SLACK = 1e-6


def rank_similar(rows: Candidates, draft: Draft, limit: int = 3) -> list[Similar]:
    """The candidates whose score reaches SIMILAR_THRESHOLD, best first: the score is the better of
    the titles' `token_set_ratio` (× 0.9) and the whole texts' `token_sort_ratio`, plus NEAR_BONUS
    or CLOSE_BONUS when both have a location less than 300 m or 1 km apart.

    Without a bonus, a candidate's text alone must reach the threshold, so all of them are compared
    with that bar (the comparison gives up early, and few pass); only the few close to the draft
    are compared again with the lower bar their bonus allows."""
    if not rows or not draft.title:
        return []
    q_title = text.normalize(draft.title)
    q_full = _sorted_words(text.normalize(f"{draft.title} {draft.description or ''}"))
    titles, fulls = rows.titles, rows.fulls
    bar = SIMILAR_THRESHOLD - _SLACK
    scores: dict[int, float] = {}
    for _c, score, i in process.extract(
        q_title, titles, scorer=fuzz.token_set_ratio, limit=None, score_cutoff=bar / 0.9
    ):
        scores[i] = float(score) * 0.9
    for _c, score, i in process.extract(q_full, fulls, scorer=fuzz.ratio, limit=None, score_cutoff=bar):
        scores[i] = max(scores.get(i, 0.0), float(score))  # fuzz.ratio of sorted words = token_sort_ratio
    lat, lon = draft.latitude, draft.longitude
    close: dict[int, tuple[float, float]] = {}  # index -> (distance, bonus)
    if lat is not None and lon is not None:
        for i, dist in rows.close_to(lat, lon):
            bonus = NEAR_BONUS if dist < 300 else CLOSE_BONUS
            close[i] = (dist, bonus)
            if i not in scores:
                t = fuzz.token_set_ratio(q_title, titles[i], score_cutoff=(bar - bonus) / 0.9)
                f = fuzz.ratio(q_full, fulls[i], score_cutoff=bar - bonus)
                if t or f:
                    scores[i] = max(float(t) * 0.9, float(f))
    found: list[Similar] = []
    for i, text_score in scores.items():
        row = rows[i]
        score = text_score
        dist: float | None = None
        if i in close:
            dist, bonus = close[i]
            score += bonus
        elif None not in (lat, lon, row.latitude, row.longitude):
            dist = distance_m(lat, lon, row.latitude, row.longitude)  # type: ignore[arg-type]
        if score >= SIMILAR_THRESHOLD:
            found.append(Similar(row.code, row.title, row.status, min(score, 100.0), dist))
    found.sort(key=lambda s: (-s.score, s.code))
    return found[:limit]


async def submit(
    session: AsyncSession, author_id: int, draft: Draft, staff_chat_id: int | None, tz_year: int
) -> Initiative:
    """Store a complete initiative with its tracking code and queue its announcement to the staff."""
    missing = draft.missing()
    if missing:
        raise InvalidInput("incomplete")
    number = await codes.next_number(session, f"INI-{tz_year}")
    now = utcnow()

    def write(sync: Session) -> Initiative:  # rows written at once, without the unit of work
        ini = hot.add_new(
            sync,
            Initiative,
            code=f"INI-{tz_year}-{number:05d}",
            author_id=author_id,
            title=draft.title,
            description=draft.description,
            district=draft.district,
            theme=draft.theme,
            latitude=draft.latitude,
            longitude=draft.longitude,
            org_name=draft.org_name,
            org_type=draft.org_type,
            status="recibida",
            search_text=search_text(draft.title or "", draft.description or ""),
            created_at=now,
            updated_at=now,
        )
        photos = [
            hot.add_new(sync, InitiativePhoto, initiative_id=ini.id, file_id=f, position=i)
            for i, f in enumerate(draft.photos[:MAX_PHOTOS])
        ]
        first = hot.add_new(sync, InitiativeEvent, initiative_id=ini.id, status="recibida", created_at=now)
        set_committed_value(ini, "photos", photos)
        set_committed_value(ini, "events", [first])
        return ini

    ini = await session.run_sync(write)
    if staff_chat_id is not None:
        await announce_to_staff(session, ini, staff_chat_id)
    return ini


LOOSE_CODE_RE = re.compile(r"^INI-?\s*(\d{4})-?\s*(\d{1,5})$")


async def by_code(session: AsyncSession, code: str, fresh: bool = False) -> Initiative | None:
    """By tracking code; "ini-2026-12" finds INI-2026-00012. ``fresh``: overwrite what this session
    already holds of it with the row as stored now (moderators act on the current state)."""
    match = LOOSE_CODE_RE.match(code.strip().upper())
    if not match:
        return None
    code = f"INI-{match.group(1)}-{int(match.group(2)):05d}"
    stmt = select(Initiative).where(Initiative.code == code)
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def for_author(session: AsyncSession, author_id: int, limit: int = 10) -> tuple[list[Initiative], int]:
    total = (
        await session.execute(select(func.count()).where(Initiative.author_id == author_id))
    ).scalar_one()
    rows = (
        await session.execute(
            select(Initiative)
            .where(Initiative.author_id == author_id)
            .order_by(Initiative.created_at.desc(), Initiative.id.desc())
            .limit(limit)
        )
    ).scalars()
    return list(rows), int(total)


def last_change(ini: Initiative) -> datetime:
    return ini.events[-1].created_at if ini.events else ini.created_at


__all__ = ["Draft", "InvalidInput", "Similar", "submit", "find_similar", "by_code", "for_author", "utcnow"]
