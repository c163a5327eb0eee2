"""Dates and money for the resident's locale, in the plan's time zone (Babel)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as _fmt_date
from babel.dates import format_datetime as _fmt_datetime
from babel.numbers import format_currency

DEFAULT_TZ = ZoneInfo("America/Lima")
BABEL_LOCALES = {"es": "es_PE", "en": "en"}


def babel_locale(locale: str) -> str:
    return BABEL_LOCALES.get(locale, locale)


@lru_cache(maxsize=16)
def _babel(locale: str) -> Locale:
    """Babel parses a locale given by name on every call; parsed once here."""
    return Locale.parse(babel_locale(locale))


def fmt_datetime(dt: datetime, locale: str, tz: ZoneInfo = DEFAULT_TZ) -> str:
    return _fmt_datetime(dt, format="medium", tzinfo=tz, locale=_babel(locale))


def fmt_date(dt: datetime, locale: str, tz: ZoneInfo = DEFAULT_TZ) -> str:
    return _fmt_date(dt.astimezone(tz), format="medium", locale=_babel(locale))


def fmt_money(amount: Decimal | float | int, locale: str) -> str:
    return format_currency(amount, "PEN", locale=_babel(locale))
