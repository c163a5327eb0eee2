"""/proponer: opening the guided initiative form, its steps (title, description, district, theme,
organisation; Omitir on the optional ones) and the form's one router. Elsewhere: each step's question
and buttons in propose_ui.py, asking it and moving on in propose_flow.py, photos and location in
propose_media.py, the review screen, corrections and Enviar in propose_review.py, and commands,
Cancelar and stray messages in the middle of the form in propose_interrupts.py."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import F
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.config import Settings
from peam_bot.handlers import deeplinks, propose_interrupts, propose_media, propose_review
from peam_bot.handlers.propose_flow import ask, go, load, save
from peam_bot.handlers.propose_ui import blocked_text, invalid_text, no_organisation_line
from peam_bot.handlers.ui import (
    MENU_PROPOSE,
    DistrictCb,
    FormCb,
    Propose,
    Registered,
    ThemeCb,
    chosen_district,
    main_menu,
    menu_labels,
)
from peam_bot.i18n import gettext as _
from peam_bot.services import initiatives, reference
from peam_bot.services.initiatives import Draft, InvalidInput
from peam_bot.services.rendering import org_type_label
from peam_bot.services.text import esc, strip_accents
from peam_bot.storage.models import User
from peam_bot.telegram.routing import Routes

opening = Routes("propose-opening")  # /proponer outside the form
steps = Routes("propose-steps")  # each step's answer
typed = Routes("propose-typed")  # a district, theme or "no" typed where buttons are offered


# --- start ---------------------------------------------------------------------------------------


async def start_form(
    message: Message, state: FSMContext, session: AsyncSession, user: User, locale: str
) -> None:
    if user.blocked_at is not None:
        await message.answer(blocked_text(), reply_markup=main_menu())
        return
    await state.set_state(Propose.title)
    await state.set_data({"draft": Draft(district=user.district).to_dict()})
    intro = _(
        "Vamos a preparar su iniciativa en 7 pasos cortos. Nada se envía hasta que usted lo confirme.\n"
        "Puede salir en cualquier momento con /cancelar."
    )
    await ask(message, state, session, locale, intro)  # one message: what is coming, then step 1


@opening.message(Command("proponer", "propose"), StateFilter(None), Registered())
@opening.message(F.text.in_(menu_labels(MENU_PROPOSE)), StateFilter(None), Registered())
async def propose(
    message: Message, state: FSMContext, session: AsyncSession, user: User, locale: str
) -> None:
    await start_form(message, state, session, user, locale)


@deeplinks.register("proponer")
async def open_propose(
    message: Message, state: FSMContext, session: AsyncSession, user: User, rest: str, settings: Settings
) -> None:
    await start_form(message, state, session, user, user.locale)


# --- text steps ------------------------------------------------------------------------------------


TEXT_STEPS: dict[str, tuple[str, Callable[[str], str], str]] = {
    # state: (draft field, validator, next step)
    Propose.title.state: ("title", initiatives.validate_title, Propose.description.state),
    Propose.description.state: ("description", initiatives.validate_description, Propose.district.state),
    Propose.org_name.state: ("org_name", initiatives.validate_org_name, Propose.review.state),
}


@steps.message(StateFilter(Propose.title, Propose.description, Propose.org_name), F.text)
async def got_text(message: Message, state: FSMContext, session: AsyncSession, locale: str) -> None:
    field, validate, nxt = TEXT_STEPS[await state.get_state() or ""]
    try:
        value = validate(message.text or "")
    except InvalidInput as exc:
        await message.answer(invalid_text(field, exc, message.text or ""))
        return
    draft, data = await load(state)
    setattr(draft, field, value)
    if field == "org_name":
        draft.org_type = data.get("org_type_pending") or "territorial"
    await save(state, draft)
    await go(message, state, session, locale, nxt)


# --- buttons ---------------------------------------------------------------------------------------


@steps.callback_query(DistrictCb.filter(F.purpose == "fm"), Propose.district)
async def got_district(
    query: CallbackQuery, callback_data: DistrictCb, state: FSMContext, session: AsyncSession, locale: str
) -> None:
    if not isinstance(query.message, Message):
        return
    districts = await reference.districts(session)
    draft, data = await load(state)
    slug = await chosen_district(
        query, callback_data, districts, current=draft.district, editing=bool(data.get("editing"))
    )
    if slug is None:
        return
    await chose_district(query.message, state, session, locale, draft, slug, query)


async def chose_district(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    locale: str,
    draft: Draft,
    slug: str,
    press: CallbackQuery | None = None,
) -> None:
    """A district pressed or typed: keep it, confirm it and ask for the theme."""
    draft.district = slug
    await save(state, draft)
    done = _("Distrito: <b>{district}</b> ✅").format(
        district=esc(await reference.district_name(session, slug))
    )
    await go(message, state, session, locale, Propose.theme.state, done, press)


@steps.callback_query(ThemeCb.filter(), Propose.theme)
async def got_theme(
    query: CallbackQuery, callback_data: ThemeCb, state: FSMContext, session: AsyncSession, locale: str
) -> None:
    if not isinstance(query.message, Message):
        return
    if callback_data.slug not in {s for s, _n in await reference.themes(session)}:
        await query.answer(_("Ese botón ya no está activo."))
        return
    await chose_theme(query.message, state, session, locale, callback_data.slug, query)


async def chose_theme(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    locale: str,
    slug: str,
    press: CallbackQuery | None = None,
) -> None:
    """A theme pressed or typed: keep it, confirm it and ask for photos."""
    draft, _d = await load(state)
    draft.theme = slug
    await save(state, draft)
    done = _("Tema: <b>{theme}</b> ✅").format(theme=esc(_(await reference.theme_name(session, slug))))
    await go(message, state, session, locale, Propose.photos.state, done, press)


@steps.callback_query(
    FormCb.filter(F.action == "skip"), StateFilter(Propose.photos, Propose.location, Propose.org)
)
async def skip(query: CallbackQuery, state: FSMContext, session: AsyncSession, locale: str) -> None:
    if not isinstance(query.message, Message):
        return
    current = await state.get_state()
    draft, _d = await load(state)
    if current == Propose.photos.state:
        draft.photos = []
        nxt, done = Propose.location.state, _("Fotos: ninguna ✅")
    elif current == Propose.location.state:
        draft.latitude = draft.longitude = None
        nxt, done = Propose.org.state, _("Ubicación: ninguna ✅")
    else:
        draft.org_name = draft.org_type = None
        nxt, done = Propose.review.state, no_organisation_line()
    await save(state, draft)
    await go(query.message, state, session, locale, nxt, done, query)


@steps.callback_query(FormCb.filter(F.action.in_({"org_territorial", "org_funcional"})), Propose.org)
async def org_type(
    query: CallbackQuery, callback_data: FormCb, state: FSMContext, session: AsyncSession, locale: str
) -> None:
    if not isinstance(query.message, Message):
        await query.answer()
        return
    kind = callback_data.action.removeprefix("org_")
    done = _("Organización: {kind} ✅").format(kind=esc(org_type_label(kind, locale)))
    await state.update_data(org_type_pending=kind)
    await go(query.message, state, session, locale, Propose.org_name.state, done, query)


# --- names typed where buttons are offered ---------------------------------------------------------


@typed.message(Propose.district, F.text)
async def district_typed(message: Message, state: FSMContext, session: AsyncSession, locale: str) -> None:
    """Some residents type the district's name instead of pressing its button."""
    slug = reference.match_district(await reference.districts(session), message.text or "")
    if slug is None:
        await ask(message, state, session, locale, _("No reconocí ese distrito. Elíjalo con los botones."))
        return
    draft, _d = await load(state)
    await chose_district(message, state, session, locale, draft, slug)


@typed.message(Propose.theme, F.text)
async def theme_typed(message: Message, state: FSMContext, session: AsyncSession, locale: str) -> None:
    """A theme typed by name (in the resident's language) instead of pressed, when it is clear."""
    themes = await reference.themes(session)
    slug = reference.match_name({s: _(name) for s, name in themes}, message.text or "")
    if slug is None:
        await ask(message, state, session, locale, _("No supe cuál tema es. Elíjalo con los botones."))
        return
    await chose_theme(message, state, session, locale, slug)


NO_ORGANISATION = {
    "no",
    "ninguna",
    "ninguno",
    "personal",
    "a titulo personal",
    "no, a titulo personal",
    "none",
}


def typed_no(text: str) -> bool:
    return strip_accents(text.lower()).strip(" .!¡") in NO_ORGANISATION


@typed.message(Propose.org, F.text.func(typed_no))
async def org_typed_no(message: Message, state: FSMContext, session: AsyncSession, locale: str) -> None:
    """'No' typed at the organisation question: sent in the resident's own name."""
    draft, _d = await load(state)
    draft.org_name = draft.org_type = None
    await save(state, draft)
    await go(message, state, session, locale, Propose.review.state, no_organisation_line())


# --- the form's router ---------------------------------------------------------------------------

# One router (one level of aiogram's propagation) for all of the form, its parts tried in this order.
# Parts whose handlers could answer the same update keep their precedence; the others are ordered so
# that the most frequent answers are found after the fewest failed checks.
routes = Routes.joined(
    "propose",
    opening,
    propose_interrupts.before_steps,  # a command typed in the middle of the form is not an answer
    steps,
    propose_media.routes,
    propose_review.routes,
    typed,  # rarer than the photos and locations checked before them
    propose_interrupts.after_steps,  # Cancelar, and last whatever no step expects
)
