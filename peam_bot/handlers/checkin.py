"""A resident checks in at an event by scanning the QR on the organizer's screen with the phone's
camera: the deep link `/start ci_<code>_<token>` (kept through onboarding for someone new, who is
checked in at its end). See `peam_bot.services.checkin` for the tokens and the walk-ins."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.events import refresh_screen
from peam_bot.config import Settings
from peam_bot.handlers import deeplinks
from peam_bot.handlers.ui import main_menu
from peam_bot.i18n import gettext as _
from peam_bot.services import checkin, events
from peam_bot.services.text import clean_input, esc
from peam_bot.storage.models import User, utcnow


@deeplinks.register("ci")
async def open_checkin_link(
    message: Message, state: FSMContext, session: AsyncSession, user: User, rest: str, settings: Settings
) -> None:
    code, _sep, given = rest.rpartition("_")
    event = await events.by_code(session, code) if code else None
    if event is None:
        await message.answer(_("No encontré ese evento. Vea los próximos con /talleres."), reply_markup=main_menu())
        return
    now = utcnow()
    title = esc(event.title)
    if checkin.is_open(event, now) and not checkin.token_fresh(checkin.secret_from(settings.bot_token), code, given, now):
        await message.answer(
            _("Ese código QR ya venció. Escanee el que está en la pantalla ahora, o muestre su entrada al organizador.")
        )
        return
    # the private chat is the resident's (this message may be the bot's own, after onboarding)
    name = clean_input(message.chat.full_name) or None
    result = await checkin.check_in(session, event, user, "qr", name=name, now=now)
    if result.outcome in ("present", "walk_in"):
        await refresh_screen(session, event)
    text = {
        "present": _("✅ ¡Bienvenido(a)! Registré su asistencia a <b>{title}</b>."),
        "walk_in": _("✅ ¡Bienvenido(a)! Registré su asistencia a <b>{title}</b> (sin inscripción previa)."),
        "already": _("Su asistencia a <b>{title}</b> ya estaba registrada."),
        "not_registered": _("No encuentro su inscripción en <b>{title}</b> y este evento solo admite inscritos. "
                            "Acérquese al organizador."),
        "closed": _("El registro de asistencia de <b>{title}</b> no está abierto ahora: abre 30 minutos antes "
                    "del inicio y cierra al final."),
        "cancelled": _("<b>{title}</b> fue cancelado."),
    }[result.outcome].format(title=title)  # fmt: skip
    await message.answer(text, reply_markup=main_menu())
