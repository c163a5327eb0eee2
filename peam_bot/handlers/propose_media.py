"""/proponer steps 5 and 6: the photos (Continuar when there are some) and the shared location.
Omitir on these steps is with the other steps, in propose.py."""

from __future__ import annotations

from aiogram import F
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.handlers.propose_flow import ask, go, load, save
from peam_bot.handlers.ui import FormCb, Propose
from peam_bot.i18n import gettext as _
from peam_bot.services import initiatives
from peam_bot.services.initiatives import MAX_PHOTOS, InvalidInput
from peam_bot.telegram.routing import Routes

routes = Routes("propose-media")


@routes.message(Propose.photos, F.photo)
async def got_photo(message: Message, state: FSMContext, session: AsyncSession, locale: str) -> None:
    draft, data = await load(state)
    if data.get("editing") and not data.get("photos_replaced"):
        draft.photos = []
        await state.update_data(photos_replaced=True)
    if len(draft.photos) >= MAX_PHOTOS:
        await message.answer(_("Ya tiene {max} fotos, el máximo.").format(max=MAX_PHOTOS))
        return
    draft.photos.append(message.photo[-1].file_id)  # type: ignore[index]
    await save(state, draft)
    if len(draft.photos) >= MAX_PHOTOS:
        await go(
            message,
            state,
            session,
            locale,
            Propose.location.state,
            _("Recibí sus {max} fotos ✅.").format(max=MAX_PHOTOS),
        )
        return
    await ask(message, state, session, locale, _("Foto {n} recibida ✅.").format(n=len(draft.photos)))


@routes.message(Propose.photos, F.document.mime_type.startswith("image/"))
async def photo_as_file(message: Message, state: FSMContext, session: AsyncSession, locale: str) -> None:
    await ask(
        message,
        state,
        session,
        locale,
        _("Recibí un archivo. Envíe la imagen como <b>foto</b>, no como archivo."),
    )


@routes.message(Propose.location, F.location)
async def got_location(message: Message, state: FSMContext, session: AsyncSession, locale: str) -> None:
    loc = message.location
    assert loc is not None
    draft, _d = await load(state)
    try:
        draft.latitude, draft.longitude = initiatives.validate_location(loc.latitude, loc.longitude)
    except InvalidInput:
        await ask(
            message,
            state,
            session,
            locale,
            _("Esa ubicación queda fuera de la provincia de Arequipa. Compártala de nuevo o pulse Omitir."),
        )
        return
    await save(state, draft)
    await go(message, state, session, locale, Propose.org.state, _("Ubicación recibida ✅."))


@routes.callback_query(FormCb.filter(F.action == "photos_done"), Propose.photos)
async def photos_done(query: CallbackQuery, state: FSMContext, session: AsyncSession, locale: str) -> None:
    if not isinstance(query.message, Message):
        await query.answer()
        return
    draft, _d = await load(state)
    done = _("Fotos: {n} ✅").format(n=len(draft.photos))
    await go(query.message, state, session, locale, Propose.location.state, done, query)
