"""Command menus (Bot API command scopes): residents' and AQPlan staff's.

Residents see the menu set by :func:`set_commands` (all private chats). Each staff
member gets, in their own private chat only (``BotCommandScopeChat``), the resident commands plus the
staff commands their role allows; the staff group gets the shared staff commands. Removing someone
deletes their chat menu, so they fall back to the residents' one. Any failure is logged without
personal data and never stops the bot.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from peam_bot.config import Settings
from peam_bot.i18n import N_, available_locales, gettext
from peam_bot.services import staff

log = logging.getLogger("peam_bot.staff")

# (Spanish command, English alias, description); both names work in every language
COMMANDS = [
    ("proyectos", "projects", N_("Ver los proyectos del plan")),
    ("buscar", "search", N_("Buscar un proyecto")),
    ("siguiendo", "following", N_("Proyectos que sigo")),
    ("proponer", "propose", N_("Enviar una iniciativa")),
    ("mis_iniciativas", "my_initiatives", N_("Ver mis iniciativas")),
    ("talleres", "events", N_("Talleres y eventos: inscribirme")),
    ("mesas", "round_tables", N_("Mesas de concertación")),
    ("mis_inscripciones", "my_registrations", N_("Mis entradas e inscripciones")),
    ("estado", "status", N_("Consultar una iniciativa por su código")),
    ("distrito", "district", N_("Cambiar mi distrito")),
    ("idioma", "language", N_("Cambiar el idioma")),
    ("ayuda", "help", N_("Ayuda")),
    ("cancelar", "cancel", N_("Salir de lo que estoy haciendo")),
]

# (Spanish command, English alias, description, permission needed to see it)
STAFF_COMMANDS: list[tuple[str, str, str, str]] = [
    ("cola", "queue", N_("Iniciativas pendientes"), "triage"),
    ("iniciativa", "initiative", N_("Ver una iniciativa por código"), "triage"),
    ("auditoria", "audit", N_("Historial de acciones sobre una iniciativa"), "audit"),
    ("plantillas", "templates", N_("Motivos de respuesta"), "templates"),
    ("organizar", "organize", N_("Próximos eventos: check-in y asistencia"), "events"),
    ("evento", "event", N_("Ver un evento por código"), "events"),
    ("equipo", "team", N_("Equipo de AQPlan"), "manage_staff"),
    ("invitar", "invite", N_("Invitar a alguien al equipo"), "manage_staff"),
    ("nuevo_evento", "new_event", N_("Crear un taller, mesa o exposición"), "events"),
    ("editar_evento", "edit_event", N_("Corregir un evento por su código"), "events"),
]

# the staff group is shared by every role: only the commands the moderators also have
GROUP_ROLE = "moderador"


def staff_commands_for(role: str) -> list[tuple[str, str, str]]:
    """The staff commands a role may use: (Spanish, English alias, description)."""
    return [(es, en, d) for es, en, d, perm in STAFF_COMMANDS if role in staff.PERMISSIONS[perm]]


def _bot_commands(entries: Iterable[tuple[str, str, str]], locale: str) -> list[BotCommand]:
    return [
        BotCommand(command=es if locale == "es" else en, description=gettext(d, locale))
        for es, en, d in entries
    ]


def _resident_commands() -> list[tuple[str, str, str]]:
    return list(COMMANDS)


async def _set_chat(bot: Bot, chat_id: int, entries: list[tuple[str, str, str]]) -> bool:
    ok = True
    for locale in available_locales():
        try:
            await bot.set_my_commands(
                _bot_commands(entries, locale),
                scope=BotCommandScopeChat(chat_id=chat_id),
                language_code=None if locale == "es" else locale,
            )
        except Exception as exc:  # noqa: BLE001 - a menu must never break an action or the start-up
            log.warning("staff setMyCommands failed for %s: %s", locale, type(exc).__name__)
            ok = False
    return ok


async def set_commands(bot: Bot) -> None:
    """Command menus per language; a failure is logged and the bot keeps running."""
    for locale in available_locales():
        commands = [
            BotCommand(command=es if locale == "es" else en, description=gettext(d, locale))
            for es, en, d in COMMANDS
        ]
        try:
            await bot.set_my_commands(
                commands,
                scope=BotCommandScopeAllPrivateChats(),
                language_code=None if locale == "es" else locale,
            )
        except Exception as exc:  # noqa: BLE001 - any failure here must not stop the bot
            log.warning("setMyCommands failed for %s: %s", locale, type(exc).__name__)


async def set_member_commands(bot: Bot, user_id: int, role: str | None) -> bool:
    """Refresh one person's menu after a role change (``None``: no longer staff)."""
    own = staff_commands_for(role) if role in staff.ROLES else []
    if not own:
        return await clear_staff_commands(bot, user_id)
    return await _set_chat(bot, user_id, _resident_commands() + own)


async def clear_staff_commands(bot: Bot, user_id: int) -> bool:
    """Back to the residents' menu: delete the menu of this private chat."""
    ok = True
    for locale in available_locales():
        try:
            await bot.delete_my_commands(
                scope=BotCommandScopeChat(chat_id=user_id), language_code=None if locale == "es" else locale
            )
        except Exception as exc:  # noqa: BLE001
            log.warning("staff deleteMyCommands failed for %s: %s", locale, type(exc).__name__)
            ok = False
    return ok


async def set_staff_commands(
    bot: Bot, sessions: async_sessionmaker[AsyncSession] | AsyncSession, settings: Settings
) -> None:
    """At start-up: the menu of every staff member and of the staff group. Never raises."""
    try:
        if isinstance(sessions, AsyncSession):
            members = await staff.members(sessions, settings.admin_ids)
        else:
            async with sessions() as session:
                members = await staff.members(session, settings.admin_ids)
    except Exception as exc:  # noqa: BLE001
        log.warning("staff command menus skipped: %s", type(exc).__name__)
        return
    admin_ids = set(settings.admin_ids)
    failed, chats = 0, len(members)
    for member in members:
        role = "admin" if member.user_id in admin_ids else member.role
        if not await set_member_commands(bot, member.user_id, role):
            failed += 1
    if settings.staff_chat_id is not None:
        chats += 1
        if not await _set_chat(bot, settings.staff_chat_id, staff_commands_for(GROUP_ROLE)):
            failed += 1
    if failed:
        log.warning("staff command menus: %d of %d chats failed", failed, chats)
