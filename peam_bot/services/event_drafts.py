"""An event being prepared by staff (the /nuevo_evento and /editar_evento forms): the draft kept in
the conversation, the checks of each answer (dates and times typed in Spanish, in the plan's time
zone; capacity; lengths), and creating or updating the event from it. No aiogram here.

**Dates.** Staff type a start such as "12/12/2026 9:00", "12/12 9am", "sábado 12 de diciembre 9:00"
or "mañana 15:30"; without a year it is the next such date. An end typed as a time only ("12:00") is
on the start's day. Times are Lima's (no daylight saving); the draft keeps aware UTC datetimes.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from babel.dates import format_datetime, get_day_names
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services import audit, events
from peam_bot.services.formatting import DEFAULT_TZ, babel_locale
from peam_bot.services.initiatives import InvalidInput, check_length
from peam_bot.services.text import clean_input, letter_count, strip_accents
from peam_bot.storage.event_models import KINDS, Event, Mesa, Registration
from peam_bot.storage.models import utcnow

TITLE_MIN, TITLE_MAX = 5, 120
DESC_MAX = 2000
VENUE_MIN, VENUE_MAX = 3, 160
ADDRESS_MIN, ADDRESS_MAX = 3, 200
ORGANIZER_MIN, ORGANIZER_MAX = 2, 160
CAPACITY_MAX = 100_000
MAX_AHEAD = timedelta(days=730)  # a start further away is most likely a typo in the year
RECENT = timedelta(days=30)  # a date without year this long ago is refused, not taken as next year's

REQUIRED = ("kind", "title", "district", "venue", "starts_at", "ends_at", "organizer")
DATETIMES = ("starts_at", "ends_at", "registration_deadline")


@dataclass
class EventDraft:
    kind: str | None = None
    title: str | None = None
    description: str = ""
    district: str | None = None
    axis: str | None = None
    mesa_id: int | None = None
    venue: str | None = None
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    capacity: int | None = None  # None: no limit
    registration_deadline: datetime | None = None  # None: the start
    walk_ins: bool = True
    organizer: str | None = None
    organizer_id: int | None = None

    def missing(self) -> list[str]:
        """The required fields not answered yet (in the form's order)."""
        return [name for name in REQUIRED if getattr(self, name) in (None, "")]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe (the conversation storage may be Redis)."""
        out = asdict(self)
        for name in DATETIMES:
            value = getattr(self, name)
            out[name] = value.isoformat() if value is not None else None
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> EventDraft:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (data or {}).items() if k in known}
        for name in DATETIMES:
            if values.get(name):
                values[name] = datetime.fromisoformat(values[name])
        return cls(**values)

    @classmethod
    def of(cls, event: Event) -> EventDraft:
        """The draft with an existing event's values (to edit it)."""
        return cls(**{f.name: getattr(event, f.name) for f in fields(cls)})


# --- text fields -------------------------------------------------------------------------------------


def _one_line(value: str, lo: int, hi: int, letters: int = 2) -> str:
    value = check_length(value.replace("\n", " "), lo, hi)
    if letter_count(value) < letters:
        raise InvalidInput("no_letters", min=lo, max=hi)
    return value


def validate_title(value: str) -> str:
    return _one_line(value, TITLE_MIN, TITLE_MAX, letters=3)


def validate_description(value: str) -> str:
    return check_length(value, 1, DESC_MAX)


def validate_venue(value: str) -> str:
    return _one_line(value, VENUE_MIN, VENUE_MAX)


def validate_address(value: str) -> str:
    return _one_line(value, ADDRESS_MIN, ADDRESS_MAX, letters=1)


def validate_organizer(value: str) -> str:
    return _one_line(value, ORGANIZER_MIN, ORGANIZER_MAX)


NO_LIMIT = {"sin limite", "sin limites", "ilimitado", "ilimitados", "no", "ninguno", "libre", "-"}


def parse_capacity(value: str) -> int | None:
    """A number of seats (1 to 100 000), or None for "sin límite"."""
    typed = strip_accents(clean_input(value).lower()).strip(" .")
    if typed in NO_LIMIT:
        return None
    found = re.fullmatch(r"(\d{1,3}(?:[.\s]\d{3})*|\d+)\s*(?:cupos?|personas?|asientos?)?", typed)
    if not found:
        raise InvalidInput("not_a_number", max=CAPACITY_MAX)
    number = int(re.sub(r"[.\s]", "", found.group(1)))
    if not 1 <= number <= CAPACITY_MAX:
        raise InvalidInput("out_of_range", min=1, max=CAPACITY_MAX)
    return number


# --- dates and times ---------------------------------------------------------------------------------

MONTHS = {
    "enero": 1, "ene": 1, "febrero": 2, "feb": 2, "marzo": 3, "mar": 3, "abril": 4, "abr": 4,
    "mayo": 5, "may": 5, "junio": 6, "jun": 6, "julio": 7, "jul": 7, "agosto": 8, "ago": 8,
    "septiembre": 9, "setiembre": 9, "sep": 9, "set": 9, "sept": 9, "octubre": 10, "oct": 10,
    "noviembre": 11, "nov": 11, "diciembre": 12, "dic": 12,
}  # fmt: skip
WEEKDAYS = {"lunes": 0, "martes": 1, "miercoles": 2, "jueves": 3, "viernes": 4, "sabado": 5, "domingo": 6}
_MONTH_NAMES = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})\s*[/-]\s*(\d{1,2})(?:\s*[/-]\s*(\d{4}|\d{2}))?\b")
_TEXT_DATE = re.compile(
    rf"\b(\d{{1,2}})\s+(?:de\s+)?({_MONTH_NAMES})\.?(?:\s+(?:de|del)?\s*(\d{{4}}))?(?!\w)"
)
_WEEKDAY = re.compile(r"\b(" + "|".join(WEEKDAYS) + r")\b")
_RELATIVE = re.compile(r"\b(pasado\s+mañana|mañana|hoy)\b")
_TIME = re.compile(
    r"^(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*"
    r"(am|pm|h|hs|hrs|horas)?$"
)


@dataclass(frozen=True)
class _Parts:
    day: date | None  # a full date
    day_month: tuple[int, int] | None  # day and month, no year
    weekday: int | None
    clock: time | None


def _normalize(value: str) -> str:
    text = strip_accents(clean_input(value).lower()).replace(",", " ")
    text = re.sub(r"(?<![a-z])([ap])\s*\.?\s*m\b\.?", r"\1m", text)  # a. m., p.m. -> am, pm
    text = text.replace("mediodia", "12:00")
    # "9 de la mañana" is a time, not tomorrow (the relative day "mañana" is looked for later)
    text = re.sub(r"\b(?:de|en) la mañana\b", "am", text)
    text = re.sub(r"\b(?:de|en) la (?:tarde|noche)\b", "pm", text)
    return " ".join(text.split())


def _split(value: str, today: date) -> _Parts:
    text = _normalize(value)
    day: date | None = None
    day_month: tuple[int, int] | None = None
    for pattern in (_NUMERIC_DATE, _TEXT_DATE):
        found = pattern.search(text)
        if found is None:
            continue
        d = int(found.group(1))
        m = int(found.group(2)) if pattern is _NUMERIC_DATE else MONTHS[found.group(2)]
        y = found.group(3)
        try:
            if y:
                day = date(int(y) + (2000 if len(y) == 2 else 0), m, d)
            else:
                date(2000, m, d)  # a valid day of that month (29 February included)
                day_month = (d, m)
        except ValueError:
            raise InvalidInput("bad_date") from None
        text = text[: found.start()] + " " + text[found.end() :]
        break
    else:
        found = _RELATIVE.search(text)
        if found is not None:
            word = found.group(1)
            day = today + timedelta(days=0 if word == "hoy" else 1 if word == "mañana" else 2)
            text = text[: found.start()] + " " + text[found.end() :]
    weekday = None
    if (found := _WEEKDAY.search(text)) is not None:
        weekday = WEEKDAYS[found.group(1)]
        text = text[: found.start()] + " " + text[found.end() :]
    text = re.sub(r"\b(a las|a la|las|la|desde|de|del|el|a partir)\b", " ", " " + text + " ")
    clock_text = " ".join(text.split()).strip(" .")
    clock = _clock(clock_text) if clock_text else None
    return _Parts(day, day_month, weekday, clock)


def _clock(text: str) -> time:
    found = _TIME.fullmatch(text.strip())
    if found is None:
        raise InvalidInput("bad_time")
    hour, minute, suffix = int(found.group(1)), int(found.group(2) or 0), found.group(3) or ""
    if suffix in ("am", "pm"):
        if not 1 <= hour <= 12:
            raise InvalidInput("bad_time")
        if suffix == "pm" and hour != 12:
            hour += 12
        elif suffix == "am" and hour == 12:
            hour = 0
    if hour > 23 or minute > 59:
        raise InvalidInput("bad_time")
    return time(hour, minute)


def _local(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=DEFAULT_TZ).astimezone(UTC)


def _resolve(parts: _Parts, after: datetime, same_day: date | None) -> datetime:
    """The moment the parts describe: without a year, the next such date from `after`; a time alone
    is on `same_day` (the end's case) or, when there is none, is refused (a start needs its day)."""
    if parts.clock is None:
        raise InvalidInput("no_time")
    local_after = after.astimezone(DEFAULT_TZ)
    if parts.day is not None:
        day = parts.day
    elif parts.day_month is not None:
        d, m = parts.day_month
        year = local_after.year
        while True:
            try:
                day = date(year, m, d)
            except ValueError:  # 29 February: the next leap year
                year += 1
                continue
            moment = _local(day, parts.clock)
            # a day of the last weeks is a slip (a passed date, an end before the start), not next year's
            if moment > after - RECENT or year > local_after.year + 4:
                break
            year += 1
    elif parts.weekday is not None:
        day = local_after.date() + timedelta(days=(parts.weekday - local_after.weekday()) % 7)
        if _local(day, parts.clock) <= after:
            day += timedelta(days=7)
    elif same_day is not None:
        day = same_day
    else:
        raise InvalidInput("no_date")
    if parts.weekday is not None and day.weekday() != parts.weekday:
        raise InvalidInput("weekday", weekday=day.weekday())
    return _local(day, parts.clock)


def parse_start(value: str, now: datetime | None = None) -> datetime:
    """The start of an event (aware UTC), in the future and within two years."""
    now = now or utcnow()
    parts = _split(value, now.astimezone(DEFAULT_TZ).date())
    moment = _resolve(parts, now, None)
    if moment <= now:
        raise InvalidInput("past")
    if moment > now + MAX_AHEAD:
        raise InvalidInput("too_far")
    return moment


def parse_end(value: str, start: datetime) -> datetime:
    """The end: after the start; a time alone is on the start's day."""
    local_start = start.astimezone(DEFAULT_TZ)
    parts = _split(value, local_start.date())
    moment = _resolve(parts, start - timedelta(seconds=1), local_start.date())
    if moment <= start:
        raise InvalidInput("end_before_start")
    if moment > start + MAX_AHEAD:
        raise InvalidInput("too_far")
    return moment


def parse_deadline(value: str, start: datetime, now: datetime | None = None) -> datetime:
    """When registration closes: not yet passed and not after the start. A time alone is on the
    start's day; a date without year, the one before the start."""
    now = now or utcnow()
    local_start = start.astimezone(DEFAULT_TZ)
    parts = _split(value, now.astimezone(DEFAULT_TZ).date())
    moment = _resolve(parts, now, local_start.date())
    if moment <= now:
        raise InvalidInput("past")
    if moment > start:
        raise InvalidInput("after_start")
    return moment


def moment_text(moment: datetime, locale: str) -> str:
    """The moment in Lima's time: "sábado 12 de diciembre de 2026, 9:00"."""
    pattern = "EEEE d 'de' MMMM 'de' y, H:mm" if locale == "es" else "EEEE d MMMM y, H:mm"
    return format_datetime(moment, pattern, tzinfo=DEFAULT_TZ, locale=babel_locale(locale))


def clock_text(moment: datetime) -> str:
    """The time of day in Lima: "9:00"."""
    local = moment.astimezone(DEFAULT_TZ)
    return f"{local.hour}:{local.minute:02d}"


def same_day(a: datetime, b: datetime) -> bool:
    return a.astimezone(DEFAULT_TZ).date() == b.astimezone(DEFAULT_TZ).date()


def weekday_name(weekday: int, locale: str) -> str:
    """0 = Monday: "lunes"."""
    return str(get_day_names("wide", locale=babel_locale(locale))[weekday % 7])


def example_start(now: datetime | None = None) -> str:
    """A start a week from now, written the way the form reads it (for the question's example)."""
    day = ((now or utcnow()).astimezone(DEFAULT_TZ) + timedelta(days=7)).date()
    return f"{day.day:02d}/{day.month:02d}/{day.year} 9:00"


# --- the mesas a session may belong to ------------------------------------------------------------


async def mesas(session: AsyncSession) -> list[tuple[int, str, str]]:
    """(id, code, name) of every mesa de concertación, by name."""
    rows = await session.execute(select(Mesa.id, Mesa.code, Mesa.name).order_by(Mesa.name, Mesa.id))
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


async def mesa_name(session: AsyncSession, mesa_id: int | None) -> str | None:
    if mesa_id is None:
        return None
    mesa = await session.get(Mesa, mesa_id)
    return mesa.name if mesa is not None else None


# --- saving ------------------------------------------------------------------------------------------


class EventEditRefused(Exception):
    """A change the form may not make; `reason` says why: has_registrations (start or end of an
    event people registered for: that is Reprogramar's job), capacity_below (fewer seats than people
    registered), closed (a cancelled or past event)."""

    def __init__(self, reason: str, **params: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def _check(draft: EventDraft, now: datetime, new_start: bool) -> None:
    if draft.missing():
        raise InvalidInput("missing")
    if draft.kind not in KINDS:
        raise InvalidInput("bad_kind")
    assert draft.starts_at is not None and draft.ends_at is not None
    if new_start and draft.starts_at <= now:
        raise InvalidInput("past")
    if draft.ends_at <= draft.starts_at:
        raise InvalidInput("end_before_start")
    if draft.registration_deadline is not None and draft.registration_deadline > draft.starts_at:
        raise InvalidInput("after_start")
    if draft.kind != "mesa":
        draft.mesa_id = None


def _summary(values: dict[str, Any]) -> str:
    def show(v: Any) -> str:
        return v.isoformat() if isinstance(v, datetime) else "" if v is None else str(v)

    return "; ".join(f"{k}={show(v)}" for k, v in values.items())[:2000]


EDITABLE = tuple(f.name for f in fields(EventDraft) if f.name != "organizer_id")


async def create_event(
    session: AsyncSession, draft: EventDraft, actor_id: int | None, now: datetime | None = None
) -> Event:
    """A new event from a complete draft (code EV-0001, EV-0002…), with its audit entry."""
    now = now or utcnow()
    _check(draft, now, new_start=True)
    values = {name: getattr(draft, name) for name in EDITABLE}
    event = Event(
        code=await events.next_code(session),
        organizer_id=draft.organizer_id if draft.organizer_id is not None else actor_id,
        status="programado",
        registered=0,
        created_at=now,
        updated_at=now,
        **values,
    )
    session.add(event)
    await session.flush()
    audit.record(session, actor_id, "event_create", event.code, None, _summary(values), when=now)
    return event


async def active_registrations(session: AsyncSession, event: Event) -> int:
    """Seats taken plus places on the waiting list."""
    count = await session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(Registration.event_id == event.id, Registration.status != "cancelado")
    )
    return int(count or 0)


def editable(event: Event, now: datetime | None = None) -> bool:
    return event.status not in ("cancelado", "realizado") and event.ends_at > (now or utcnow())


async def update_event(
    session: AsyncSession, event: Event, draft: EventDraft, actor_id: int | None, now: datetime | None = None
) -> list[str]:
    """Save the draft's values on the event; returns the names of the fields that changed. The start
    and end of an event with registrations are not changed here (Reprogramar tells the people
    registered); more seats go first to those waiting, who are told through the outbox."""
    now = now or utcnow()
    if not editable(event, now):
        raise EventEditRefused("closed")
    changed = [name for name in EDITABLE if getattr(event, name) != getattr(draft, name)]
    if not changed:
        return []
    _check(draft, now, new_start="starts_at" in changed)
    changed = [name for name in EDITABLE if getattr(event, name) != getattr(draft, name)]  # mesa_id
    await events._lock_event(session, event.id)  # the count read next cannot change under us
    await session.refresh(event, ["registered"])
    if {"starts_at", "ends_at"} & set(changed) and await active_registrations(session, event):
        raise EventEditRefused("has_registrations")
    if draft.capacity is not None and draft.capacity < event.registered:
        raise EventEditRefused("capacity_below", registered=event.registered)
    before = {name: getattr(event, name) for name in changed}
    for name in changed:
        setattr(event, name, getattr(draft, name))
    event.updated_at = now
    await session.flush()
    if "capacity" in changed and events.refusal(event, now) is None:
        while events.seats_left(event) != 0 and await events._promote_first(session, event, now) is not None:
            await session.refresh(event, ["registered"])
    after = {name: getattr(draft, name) for name in changed}
    audit.record(session, actor_id, "event_edit", event.code, _summary(before), _summary(after), when=now)
    return changed
