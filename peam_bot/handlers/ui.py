"""Shared pieces of the resident interface: states, callback data, keyboards, main menu.

Keyboards are built as plain lists (aiogram's builders deep-copy every button, which showed in the
profile of the busiest steps)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    TelegramObject,
)

from peam_bot.i18n import N_, available_locales, current_locale, gettext
from peam_bot.i18n import gettext as _
from peam_bot.telegram.client import forget_shared_markups, share_markup

Markup = TypeVar("Markup", InlineKeyboardMarkup, ReplyKeyboardMarkup)

_keyboards: dict[tuple[object, ...], Any] = {}


class Registered(Filter):
    """The sender accepted the privacy notice. Handlers that need the resident's record use it, so
    that anyone else falls through to onboarding, whose ``~Registered()`` handlers show the notice."""

    async def __call__(self, event: TelegramObject, user: object | None) -> bool:
        return user is not None


async def _run(call: Awaitable[Any]) -> Any:
    return await call  # aiogram's method objects are awaitable but not hashable, as gather needs


async def answer_and(query: CallbackQuery, change: Awaitable[Any], text: str | None = None) -> None:
    """Answer a button press and change its message with both requests in flight together: the
    resident sees the change one round trip sooner than when the answer went first. Both requests
    are always awaited; the first error, if any, is raised afterwards."""
    results = await asyncio.gather(_run(query.answer(text)), _run(change), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


def _cached(key: tuple[object, ...], build: Callable[[], Markup]) -> Markup:
    """Keyboards are the same for everyone with the same language (and, for the districts, home
    district); aiogram's keyboard objects are immutable, so each is built once, and sent as the same
    JSON every time (:func:`peam_bot.telegram.share_markup`). Building them — each button a
    validated model — was a visible part of an update's cost."""
    key = (*key, current_locale.get())
    markup = _keyboards.get(key)
    if markup is None:
        if len(_keyboards) > 2_000:
            _keyboards.clear()
            forget_shared_markups()
        markup = _keyboards[key] = share_markup(build())
    return markup  # type: ignore[no-any-return]


class Onboarding(StatesGroup):
    consent = State()
    district = State()


class Propose(StatesGroup):
    title = State()
    description = State()
    district = State()
    theme = State()
    photos = State()
    location = State()
    org = State()
    org_name = State()
    review = State()
    similar = State()


class ConsentCb(CallbackData, prefix="cs"):
    answer: str  # yes | no


class DistrictCb(CallbackData, prefix="d"):
    purpose: str  # on (onboarding) | fm (form)
    slug: str  # a district slug, or "_more" / "_main" to switch pages


class ThemeCb(CallbackData, prefix="t"):
    slug: str


class FormCb(CallbackData, prefix="f"):
    action: str


class LangCb(CallbackData, prefix="l"):
    code: str


class StatusCb(CallbackData, prefix="st"):
    code: str


MENU_PROPOSE = N_("📝 Proponer iniciativa")
MENU_MINE = N_("📋 Mis iniciativas")
MENU_STATUS = N_("🔎 Consultar estado")
MENU_HELP = N_("❓ Ayuda")
MENU_PROJECTS = N_("🏗 Proyectos")
MENU_EVENTS = N_("📅 Talleres y mesas")
MENU_LABELS = (MENU_PROPOSE, MENU_MINE, MENU_STATUS, MENU_HELP, MENU_PROJECTS, MENU_EVENTS)

LANGUAGE_NAMES = {"es": "Español", "en": "English"}


def menu_labels(label: str) -> set[str]:
    """A menu button's text in every language (the resident may have switched language)."""
    return {gettext(label, loc) for loc in available_locales()}


def main_menu() -> ReplyKeyboardMarkup:
    return _cached(("menu",), _main_menu)


def _main_menu() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_(MENU_PROPOSE)), KeyboardButton(text=_(MENU_PROJECTS))],
            [KeyboardButton(text=_(MENU_MINE)), KeyboardButton(text=_(MENU_STATUS))],
            [KeyboardButton(text=_(MENU_EVENTS)), KeyboardButton(text=_(MENU_HELP))],
        ],
        resize_keyboard=True,
        is_persistent=True,
        input_field_placeholder=_("Elija una opción"),
    )


def consent_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text=_("✅ Acepto"), callback_data=ConsentCb(answer="yes").pack()),
                InlineKeyboardButton(text=_("No acepto"), callback_data=ConsentCb(answer="no").pack()),
            ]
        ]
    )


def district_keyboard(
    districts: list[tuple[str, str, bool]],
    purpose: str,
    page: str = "main",
    current: str | None = None,
    editing: bool = False,
) -> InlineKeyboardMarkup:
    """`current` comes first: the resident's own district in the form's step, the district chosen so
    far when an initiative's district is being changed (`editing`)."""
    return _cached(
        ("district", tuple(districts), purpose, page, current, editing),
        lambda: _district_keyboard(districts, purpose, page, current, editing),
    )


def _district_keyboard(
    districts: list[tuple[str, str, bool]], purpose: str, page: str, current: str | None, editing: bool
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    first = current if current and purpose == "fm" and page == "main" else None
    if first:
        name = next((n for s, n, _m in districts if s == first), first)
        rows.append(
            [
                InlineKeyboardButton(
                    text=(
                        _("📍 {district} (el elegido)") if editing else _("📍 {district} (el suyo)")
                    ).format(district=name),
                    callback_data=DistrictCb(purpose=purpose, slug=first).pack(),
                )
            ]
        )
    metro = page == "main"
    chosen = [(s, n) for s, n, m in districts if m == metro and s != first]  # not twice
    buttons = [
        InlineKeyboardButton(text=n, callback_data=DistrictCb(purpose=purpose, slug=s).pack())
        for s, n in chosen
    ]
    for i in range(0, len(buttons), 2):
        rows.append(buttons[i : i + 2])
    if metro:
        more = InlineKeyboardButton(
            text=_("Otros distritos ➡️"), callback_data=DistrictCb(purpose=purpose, slug="_more").pack()
        )
    else:
        more = InlineKeyboardButton(
            text=_("⬅️ Volver"), callback_data=DistrictCb(purpose=purpose, slug="_main").pack()
        )
    rows.append([more])
    if purpose == "fm":
        rows.append([cancel_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def chosen_district(
    query: CallbackQuery,
    data: DistrictCb,
    districts: list[tuple[str, str, bool]],
    current: str | None = None,
    editing: bool = False,
) -> str | None:
    """A press on a district keyboard: switches its page or refuses a stale button (and returns None),
    or returns the chosen district's slug (the press still to be answered by the caller)."""
    if data.slug in ("_more", "_main") and isinstance(query.message, Message):
        page = "more" if data.slug == "_more" else "main"
        await query.message.edit_reply_markup(
            reply_markup=district_keyboard(districts, data.purpose, page, current=current, editing=editing)
        )
        await query.answer()
        return None
    if data.slug not in {s for s, _n, _m in districts}:
        await query.answer(_("Ese botón ya no está activo."))
        return None
    return data.slug


def theme_keyboard(themes: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return _cached(("theme", tuple(themes)), lambda: _theme_keyboard(themes))


def _theme_keyboard(themes: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    for slug, name in themes:
        rows.append([InlineKeyboardButton(text=_(name), callback_data=ThemeCb(slug=slug).pack())])
    rows.append([cancel_button()])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def form_button(text: str, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=FormCb(action=action).pack())


def cancel_button() -> InlineKeyboardButton:
    return form_button(_("✖️ Cancelar"), "cancel")


def form_keyboard(*rows: list[tuple[str, str]], cancel: bool = True) -> InlineKeyboardMarkup:
    key = ("form", tuple(tuple(row) for row in rows), cancel)
    return _cached(key, lambda: _form_keyboard(rows, cancel))


def _form_keyboard(rows: tuple[list[tuple[str, str]], ...], cancel: bool) -> InlineKeyboardMarkup:
    kb = [[form_button(text, action) for text, action in row] for row in rows]
    if cancel:
        kb.append([cancel_button()])
    return InlineKeyboardMarkup(inline_keyboard=kb)


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=LANGUAGE_NAMES.get(code, code), callback_data=LangCb(code=code).pack()
                )
                for code in available_locales()
            ]
        ]
    )
