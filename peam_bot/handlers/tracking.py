"""/mis_iniciativas and /estado <código>."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.config import Settings
from peam_bot.handlers import deeplinks, portfolio
from peam_bot.handlers.ui import MENU_MINE, MENU_STATUS, StatusCb, main_menu, menu_labels
from peam_bot.i18n import gettext as _
from peam_bot.routing import Routes
from peam_bot.services import initiatives
from peam_bot.services.formatting import fmt_date
from peam_bot.services.rendering import public_status, status_label
from peam_bot.services.text import esc, truncate
from peam_bot.storage.models import User

routes = Routes("tracking")


@routes.message(Command("mis_iniciativas", "my_initiatives"))
@routes.message(F.text.in_(menu_labels(MENU_MINE)))
async def my_initiatives(message: Message, session: AsyncSession, user: User, locale: str) -> None:
    items, total = await initiatives.for_author(session, user.id)
    if not items:
        await message.answer(
            _("Todavía no ha enviado iniciativas. Para proponer una, escriba /proponer."),
            reply_markup=main_menu(),
        )
        return
    lines = [_("<b>Sus iniciativas</b> ({total})").format(total=total)]
    buttons = []
    for ini in items:
        lines.append(
            _("• <b>{code}</b> · {title}\n   {status} · enviada el {sent} · último cambio {changed}").format(
                code=esc(ini.code),
                title=esc(truncate(ini.title, 60)),
                status=esc(status_label(ini.status, locale)),
                sent=fmt_date(ini.created_at, locale),
                changed=fmt_date(initiatives.last_change(ini), locale),
            )
        )
        buttons.append(
            [
                InlineKeyboardButton(
                    text=_("Ver historial de {code}").format(code=ini.code),
                    callback_data=StatusCb(code=ini.code).pack(),
                )
            ]
        )
    if total > len(items):
        lines.append(_("(se muestran las {n} más recientes)").format(n=len(items)))
    await message.answer("\n".join(lines), reply_markup=InlineKeyboardMarkup(inline_keyboard=buttons))


async def show_status(message: Message, session: AsyncSession, code: str, locale: str) -> None:
    ini = await initiatives.by_code(session, code)
    if ini is None or ini.status == "oculta":
        await message.answer(
            _("No encontré la iniciativa «{code}». Revise el código; tiene la forma INI-2026-00012.").format(
                code=esc(truncate(code, 40))
            )
        )
        return
    await message.answer(await public_status(session, ini, locale))


@routes.message(Command("estado", "status"))
@routes.message(F.text.in_(menu_labels(MENU_STATUS)))
async def status_command(
    message: Message,
    session: AsyncSession,
    user: User,
    locale: str,
    settings: Settings,
    command: CommandObject | None = None,
) -> None:
    if command is not None and command.args:
        code = command.args.strip()
        if portfolio.loose_code(code):
            await portfolio.open_card(message, session, code, user, locale, settings)
            return
        await show_status(message, session, code, locale)
        return
    await message.answer(
        _("Escriba el código de la iniciativa o del proyecto, por ejemplo INI-2026-00012 o P-012.")
    )


@routes.message(F.text.regexp(r"(?i)^\s*INI-\d{4}-\d{5}\s*$"))
async def status_by_code(message: Message, session: AsyncSession, locale: str) -> None:
    await show_status(message, session, message.text or "", locale)


@routes.callback_query(StatusCb.filter())
async def status_button(
    query: CallbackQuery, callback_data: StatusCb, session: AsyncSession, locale: str
) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await show_status(query.message, session, callback_data.code, locale)


@deeplinks.register("ini")
async def open_initiative(
    message: Message, state: FSMContext, session: AsyncSession, user: User, rest: str, settings: Settings
) -> None:
    await show_status(message, session, rest, user.locale)
