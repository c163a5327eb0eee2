"""Gettext catalogs (Babel) and the current locale of the update being handled.

Resident-facing text is written as `_("Texto en español")`; catalogs live in
`peam_bot/locales/<lang>/LC_MESSAGES/messages.po` and are compiled to `.mo`
(`pybabel compile -d peam_bot/locales -D messages`). A missing `.mo` is compiled from
its `.po` at load time, so a source checkout works without a build step.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "messages"
DEFAULT_LOCALE = "es"

current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)
_catalogs: dict[str, NullTranslations] = {}


def _load(locale: str) -> NullTranslations:
    base = LOCALES_DIR / locale / "LC_MESSAGES"
    po, mo = base / f"{DOMAIN}.po", base / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return Translations(f, domain=DOMAIN)
    if po.exists():  # compile in memory: a source checkout works without a build step
        with po.open("rb") as f:
            catalog = read_po(f, locale=locale)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        return Translations(buf, domain=DOMAIN)
    return NullTranslations()


def available_locales() -> list[str]:
    found = sorted(p.name for p in LOCALES_DIR.iterdir() if (p / "LC_MESSAGES").is_dir())
    return found or [DEFAULT_LOCALE]


def translations(locale: str) -> NullTranslations:
    if locale not in _catalogs:
        _catalogs[locale] = _load(locale) if locale in available_locales() else _load(DEFAULT_LOCALE)
    return _catalogs[locale]


def pick_locale(language_code: str | None) -> str:
    """Telegram language → one of our locales: es*, en*; anything else → es."""
    if not language_code:
        return DEFAULT_LOCALE
    lang = language_code.split("-")[0].lower()
    return lang if lang in available_locales() else DEFAULT_LOCALE


def gettext(message: str, locale: str | None = None) -> str:
    return translations(locale or current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int, locale: str | None = None) -> str:
    return translations(locale or current_locale.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later with `gettext(value, locale)`."""
    return message


_ = gettext
