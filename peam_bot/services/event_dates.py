"""An event's date and time in words, in the plan's time zone ("sábado 12 de diciembre, 9:00 a
12:00"), for any start and end: the notices need the old times of a rescheduled event too.

`services.events.when` does the same for an event; it can become `when(event, locale)` from here
(the texts are the same msgids), so the reminders do not import `services.events` (which calls them)."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date, format_time

from peam_bot.i18n import gettext
from peam_bot.services.formatting import DEFAULT_TZ, babel_locale
from peam_bot.storage.event_models import Event


def when_between(starts_at: datetime, ends_at: datetime, locale: str) -> str:
    loc = babel_locale(locale)
    start, end = starts_at.astimezone(DEFAULT_TZ), ends_at.astimezone(DEFAULT_TZ)
    pattern = "EEEE d 'de' MMMM" if locale == "es" else "EEEE d MMMM"
    day = format_date(start, pattern, locale=loc)
    t0, t1 = format_time(start, "H:mm", locale=loc), format_time(end, "H:mm", locale=loc)
    if end.date() == start.date():
        return gettext("{day}, {start} a {end}", locale).format(day=day, start=t0, end=t1)
    end_day = format_date(end, pattern, locale=loc)
    return gettext("{day}, {start} al {end_day}, {end}", locale).format(
        day=day, start=t0, end_day=end_day, end=t1
    )


def when(event: Event, locale: str) -> str:
    """The event's own times in words (what `services.events.when` says)."""
    return when_between(event.starts_at, event.ends_at, locale)


def place(event: Event) -> str:
    """ "Municipalidad de Cayma, Plaza de Cayma s/n" (not escaped)."""
    return ", ".join(p for p in (event.venue, event.address) if p)
