"""Staff management from the bot (admins): the team list with role changes and removal, one-time
invitation links (/invitar), and adding someone by forwarding one of their messages.

Every change goes through :mod:`peam_bot.services.staff` (which writes the audit entry), the person
is told through the outbox, and their command menu follows their role (:mod:`peam_bot.admin.menus`).
Admins listed in PEAM_ADMIN_IDS are fixed by the server configuration: the bot never changes them.
"""

from __future__ import annotations

from aiogram import Bot, F
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    MessageOriginHiddenUser,
    MessageOriginUser,
)
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.admin.access import HasPermission, staff_routes
from peam_bot.config import Settings
from peam_bot.i18n import gettext
from peam_bot.i18n import gettext as _
from peam_bot.outbox import queue as outbox
from peam_bot.services import staff, users
from peam_bot.services.formatting import fmt_datetime
from peam_bot.services.text import esc, truncate
from peam_bot.telegram import commands as menus
from peam_bot.telegram.routing import Routes

routes = staff_routes("staff-team")
public_routes = Routes("staff-invites")  # not guarded: the invitation link is opened before the role exists
PERM = {"permission": "manage_staff"}

INVITE_PAYLOAD = r"^staff_[A-Za-z0-9_-]{8,32}$"
MAX_MEMBER_BUTTONS = 90  # Telegram allows 100 buttons per keyboard

# what an admin may type after /invitar
ROLE_WORDS = {
    "admin": "admin",
    "administrador": "admin",
    "administradora": "admin",
    "administrator": "admin",
    "moderador": "moderador",
    "moderadora": "moderador",
    "moderator": "moderador",
    "organizador": "organizador",
    "organizadora": "organizador",
    "organizer": "organizador",
}


class TeamCb(CallbackData, prefix="tm"):
    action: str  # list | view | role | setrole | rm | rmok | inv | add | x
    user_id: int = 0
    role: str = ""


# ---------------------------------------------------------------------------------------- texts
def role_label(role: str, locale: str | None = None) -> str:
    return gettext(staff.ROLE_LABELS.get(role, role), locale)


def member_name(member: staff.Member) -> str:
    return member.name or f"#{member.user_id}"


def commands_text(role: str, locale: str | None = None) -> str:
    """The staff commands of a role, one a line (shown when someone joins or changes role)."""
    own = menus.staff_commands_for(role)
    if not own:
        return gettext("Su rol aún no tiene comandos propios en el bot.", locale)
    lines = [gettext("Sus comandos del equipo:", locale)]
    lines += [f"/{es} — {gettext(description, locale)}" for es, _en, description in own]
    return "\n".join(lines)


def invite_error_text(reason: str) -> str:
    if reason == "expired":
        return _("Esta invitación ya venció. Pida una nueva a un administrador.")
    if reason == "used":
        return _("Esta invitación ya fue usada. Pida una nueva a un administrador.")
    return _("Esta invitación no es válida. Pida una nueva a un administrador.")


# ------------------------------------------------------------------------------------- keyboards
def button(text: str, action: str, user_id: int = 0, role: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text, callback_data=TeamCb(action=action, user_id=user_id, role=role).pack()
    )


def role_keyboard(action: str, user_id: int = 0) -> InlineKeyboardMarkup:
    rows = [
        [button(role_label(r).capitalize(), action, user_id, r)]
        for r in ("moderador", "organizador", "admin")
    ]
    rows.append([button(_("✖️ Cancelar"), "x")])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def back_keyboard(action: str = "list", user_id: int = 0) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button(_("⬅️ Volver"), action, user_id)]])


def confirm_keyboard(yes: str, action: str, user_id: int, role: str = "") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[button(yes, action, user_id, role), button(_("✖️ Cancelar"), "view", user_id)]]
    )


# ----------------------------------------------------------------------------------------- views
async def find_member(session: AsyncSession, settings: Settings, user_id: int) -> staff.Member | None:
    for member in await staff.members(session, settings.admin_ids):
        if member.user_id == user_id:
            return member
    return None


def effective_role(member: staff.Member, settings: Settings) -> str:
    return "admin" if member.user_id in settings.admin_ids else member.role


async def team_view(session: AsyncSession, settings: Settings) -> tuple[str, InlineKeyboardMarkup]:
    members = await staff.members(session, settings.admin_ids)
    fixed = set(settings.admin_ids)
    lines = [_("<b>Equipo de AQPlan</b> ({n})").format(n=len(members))]
    rows: list[list[InlineKeyboardButton]] = []
    for m in members:
        label = role_label(effective_role(m, settings))
        lock = " 🔒" if m.user_id in fixed else ""
        lines.append(f"• {esc(member_name(m))} — {label}{lock}")
        if len(rows) < MAX_MEMBER_BUTTONS:
            rows.append([button(f"{truncate(member_name(m), 40)} · {label}", "view", m.user_id)])
    if fixed:
        lines.append(_("🔒 Administrador fijado en la configuración del servidor (PEAM_ADMIN_IDS)."))
    lines.append("")
    lines.append(
        _(
            "Pulse un nombre para cambiar su rol o quitarlo. "
            "Para sumar a alguien: /invitar, o reenvíeme un mensaje suyo."
        )
    )
    return truncate("\n".join(lines), 3900), InlineKeyboardMarkup(inline_keyboard=rows)


def member_view(member: staff.Member, settings: Settings, actor_id: int) -> tuple[str, InlineKeyboardMarkup]:
    role = effective_role(member, settings)
    text = _("<b>{name}</b>\nRol: {role}").format(name=esc(member_name(member)), role=role_label(role))
    if member.user_id in settings.admin_ids:
        text += "\n\n" + _(
            "Está en PEAM_ADMIN_IDS (configuración del servidor): no se puede cambiar ni quitar desde el bot."
        )
        return text, back_keyboard()
    if member.user_id == actor_id:
        text += "\n\n" + _(
            "No puede cambiar su propio rol ni quitarse del equipo. Pídaselo a otro administrador."
        )
        return text, back_keyboard()
    rows = [
        [button(_("Cambiar a {role}").format(role=role_label(r)), "role", member.user_id, r)]
        for r in staff.ROLES
        if r != role
    ]
    rows.append([button(_("🗑 Quitar del equipo"), "rm", member.user_id)])
    rows.append([button(_("⬅️ Volver"), "list")])
    return text, InlineKeyboardMarkup(inline_keyboard=rows)


async def show(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None, alert: str | None = None
) -> None:
    """Replace the pressed message (the team list is one message that changes in place)."""
    await query.answer(alert, show_alert=alert is not None)
    if not isinstance(query.message, Message):
        return
    try:
        await query.message.edit_text(text, reply_markup=markup)
    except TelegramBadRequest as exc:
        if "not modified" not in str(exc):
            raise


async def changeable(
    query: CallbackQuery, session: AsyncSession, settings: Settings, user_id: int
) -> staff.Member | None:
    """The member a button is about, if an admin may still change them; otherwise explain and None."""
    member = await find_member(session, settings, user_id)
    if member is None:
        await query.answer(_("Esa persona ya no está en el equipo."), show_alert=True)
        return None
    if member.user_id in settings.admin_ids or member.user_id == query.from_user.id:
        text, markup = member_view(member, settings, query.from_user.id)
        await show(query, text, markup)
        return None
    return member


async def person_locale(session: AsyncSession, user_id: int) -> str:
    resident = await users.get(session, user_id)
    return resident.locale if resident is not None else "es"


async def tell_role(session: AsyncSession, user_id: int, role: str) -> None:
    """Let the person know (through the outbox: they may not have opened the bot yet)."""
    locale = await person_locale(session, user_id)
    text = gettext("Un administrador le dio el rol de <b>{role}</b> en el equipo de AQPlan.", locale).format(
        role=role_label(role, locale)
    )
    outbox.enqueue_text(session, user_id, text + "\n\n" + commands_text(role, locale), ref=f"staff:{user_id}")


async def tell_removed(session: AsyncSession, user_id: int) -> None:
    locale = await person_locale(session, user_id)
    text = gettext(
        "Ya no forma parte del equipo de AQPlan. Puede seguir usando el bot como vecino(a).", locale
    )
    outbox.enqueue_text(session, user_id, text, ref=f"staff:{user_id}")


# ------------------------------------------------------------------------------------ /equipo
@routes.message(Command("equipo", "team"), flags=PERM)
async def team_command(message: Message, session: AsyncSession, settings: Settings) -> None:
    text, markup = await team_view(session, settings)
    await message.answer(text, reply_markup=markup)


@routes.callback_query(TeamCb.filter(F.action == "list"), flags=PERM)
async def team_list(query: CallbackQuery, session: AsyncSession, settings: Settings) -> None:
    text, markup = await team_view(session, settings)
    await show(query, text, markup)


@routes.callback_query(TeamCb.filter(F.action == "view"), flags=PERM)
async def view_member(
    query: CallbackQuery, callback_data: TeamCb, session: AsyncSession, settings: Settings
) -> None:
    member = await find_member(session, settings, callback_data.user_id)
    if member is None:
        text, markup = await team_view(session, settings)
        await show(query, text, markup, alert=_("Esa persona ya no está en el equipo."))
        return
    text, markup = member_view(member, settings, query.from_user.id)
    await show(query, text, markup)


@routes.callback_query(TeamCb.filter(F.action == "role"), flags=PERM)
async def ask_role_change(
    query: CallbackQuery, callback_data: TeamCb, session: AsyncSession, settings: Settings
) -> None:
    if callback_data.role not in staff.ROLES:
        await query.answer(_("Ese botón ya no está activo."))
        return
    member = await changeable(query, session, settings, callback_data.user_id)
    if member is None:
        return
    text = _("¿Cambiar el rol de <b>{name}</b> de {before} a {after}?").format(
        name=esc(member_name(member)), before=role_label(member.role), after=role_label(callback_data.role)
    )
    await show(
        query, text, confirm_keyboard(_("✅ Sí, cambiar"), "setrole", member.user_id, callback_data.role)
    )


@routes.callback_query(TeamCb.filter(F.action == "setrole"), flags=PERM)
async def change_role(
    query: CallbackQuery, callback_data: TeamCb, session: AsyncSession, settings: Settings, bot: Bot
) -> None:
    role = callback_data.role
    if role not in staff.ROLES:
        await query.answer(_("Ese botón ya no está activo."))
        return
    member = await changeable(query, session, settings, callback_data.user_id)
    if member is None:
        return
    if member.role != role:
        await staff.add(session, member.user_id, role, query.from_user.id)
        await tell_role(session, member.user_id, role)
        await menus.set_member_commands(bot, member.user_id, role)
    text = _("Listo: <b>{name}</b> ahora es {role}.").format(
        name=esc(member_name(member)), role=role_label(role)
    )
    await show(query, text, back_keyboard())


@routes.callback_query(TeamCb.filter(F.action == "rm"), flags=PERM)
async def ask_remove(
    query: CallbackQuery, callback_data: TeamCb, session: AsyncSession, settings: Settings
) -> None:
    member = await changeable(query, session, settings, callback_data.user_id)
    if member is None:
        return
    text = _("¿Quitar a <b>{name}</b> del equipo? Dejará de ver las opciones del equipo.").format(
        name=esc(member_name(member))
    )
    await show(query, text, confirm_keyboard(_("🗑 Sí, quitar"), "rmok", member.user_id))


@routes.callback_query(TeamCb.filter(F.action == "rmok"), flags=PERM)
async def remove(
    query: CallbackQuery, callback_data: TeamCb, session: AsyncSession, settings: Settings, bot: Bot
) -> None:
    member = await changeable(query, session, settings, callback_data.user_id)
    if member is None:
        return
    await staff.remove(session, member.user_id, query.from_user.id)
    await tell_removed(session, member.user_id)
    await menus.clear_staff_commands(bot, member.user_id)
    text = _("Listo: <b>{name}</b> ya no es parte del equipo.").format(name=esc(member_name(member)))
    await show(query, text, back_keyboard())


@routes.callback_query(TeamCb.filter(F.action == "x"), flags=PERM)
async def cancel(query: CallbackQuery) -> None:
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)
        await query.message.answer(_("Listo, no cambié nada."))


# ----------------------------------------------------------------------------------- /invitar
async def send_invite(
    message: Message, session: AsyncSession, bot: Bot, role: str, admin_id: int, locale: str
) -> None:
    invite = await staff.create_invite(session, role, admin_id)
    me = await bot.me()
    link = f"https://t.me/{me.username}?start=staff_{invite.token}"
    await message.answer(
        _(
            "🔗 Invitación para sumarse al equipo como <b>{role}</b>:\n{link}\n\n"
            "Envíela solo a esa persona. Funciona una sola vez y vence en 48 horas ({when})."
        ).format(role=role_label(role), link=esc(link), when=fmt_datetime(invite.expires_at, locale))
    )


def private_only_text() -> str:
    return _("Por seguridad, cree las invitaciones en el chat privado con el bot.")


@routes.message(Command("invitar", "invite"), flags=PERM)
async def invite_command(
    message: Message, command: CommandObject, session: AsyncSession, bot: Bot, locale: str
) -> None:
    if message.chat.type != "private" or message.from_user is None:
        await message.answer(private_only_text())
        return
    word = (command.args or "").strip().lower()
    if not word:
        await message.answer(_("¿Qué rol tendrá la persona invitada?"), reply_markup=role_keyboard("inv"))
        return
    role = ROLE_WORDS.get(word)
    if role is None:
        await message.answer(
            _("No conozco el rol «{word}». Elija uno:").format(word=esc(truncate(word, 30))),
            reply_markup=role_keyboard("inv"),
        )
        return
    await send_invite(message, session, bot, role, message.from_user.id, locale)


@routes.callback_query(TeamCb.filter(F.action == "inv"), flags=PERM)
async def invite_pressed(
    query: CallbackQuery, callback_data: TeamCb, session: AsyncSession, bot: Bot, locale: str
) -> None:
    if callback_data.role not in staff.ROLES or not isinstance(query.message, Message):
        await query.answer(_("Ese botón ya no está activo."))
        return
    if query.message.chat.type != "private":
        await query.answer(private_only_text(), show_alert=True)
        return
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await send_invite(query.message, session, bot, callback_data.role, query.from_user.id, locale)


# --------------------------------------------------------------- /start staff_<token> (public)
@public_routes.message(CommandStart(deep_link=True, magic=F.args.regexp(INVITE_PAYLOAD)))
async def redeem(
    message: Message, command: CommandObject, session: AsyncSession, settings: Settings, bot: Bot
) -> None:
    person = message.from_user
    if person is None or person.is_bot:
        return
    if person.id in settings.admin_ids:
        await message.answer(
            _(
                "Usted ya es administrador de AQPlan por la configuración del servidor. "
                "La invitación sigue libre."
            )
        )
        return
    token = (command.args or "").removeprefix("staff_")
    try:
        role = await staff.redeem_invite(session, token, person.id, person.full_name)
    except staff.StaffError as exc:
        await message.answer(invite_error_text(str(exc)))
        return
    await menus.set_member_commands(bot, person.id, role)
    await message.answer(
        _("✅ Ya es parte del equipo de AQPlan como <b>{role}</b>.").format(role=role_label(role))
        + "\n\n"
        + commands_text(role)
        + "\n\n"
        + _("Sus colegas verán su nombre de Telegram junto a lo que haga en el equipo.")
    )


# ------------------------------------------------------------------- adding by a forwarded message
def forwarded_name(message: MaybeInaccessibleMessage | None, user_id: int) -> str:
    """The name of the person in the forwarded message the role buttons answered."""
    original = message.reply_to_message if isinstance(message, Message) else None
    origin = original.forward_origin if original is not None else None
    if isinstance(origin, MessageOriginUser) and origin.sender_user.id == user_id:
        return origin.sender_user.full_name
    return ""


@routes.message(
    F.forward_origin, F.chat.type == "private", StateFilter(None), HasPermission("manage_staff"), flags=PERM
)
async def forwarded(message: Message, session: AsyncSession, settings: Settings) -> None:
    origin = message.forward_origin
    if isinstance(origin, MessageOriginHiddenUser):
        await message.reply(
            _(
                "Esta persona oculta su cuenta en los mensajes reenviados, así que no sé quién es. "
                "Use /invitar para crearle un enlace de invitación."
            )
        )
        return
    if not isinstance(origin, MessageOriginUser):
        await message.reply(
            _(
                "Ese mensaje viene de un grupo o canal, no de una persona. "
                "Reenvíe un mensaje escrito por ella, o use /invitar."
            )
        )
        return
    person = origin.sender_user
    if person.is_bot:
        await message.reply(_("Ese mensaje es de un bot; un bot no puede ser parte del equipo."))
        return
    if person.id in settings.admin_ids:
        await message.reply(
            _("{name} ya es administrador por la configuración del servidor.").format(
                name=esc(person.full_name)
            )
        )
        return
    if message.from_user is not None and person.id == message.from_user.id:
        await message.reply(_("Ese mensaje es suyo. No puede cambiar su propio rol."))
        return
    text = _("¿Qué rol tendrá <b>{name}</b> en el equipo?").format(name=esc(person.full_name))
    current = await staff.role_of(session, (), person.id)
    if current is not None:
        text += "\n" + _("Ahora es {role}.").format(role=role_label(current))
    await message.reply(text, reply_markup=role_keyboard("add", person.id))


@routes.callback_query(TeamCb.filter(F.action == "add"), flags=PERM)
async def add_forwarded(
    query: CallbackQuery, callback_data: TeamCb, session: AsyncSession, settings: Settings, bot: Bot
) -> None:
    user_id, role = callback_data.user_id, callback_data.role
    if (
        role not in staff.ROLES
        or user_id <= 0
        or user_id in settings.admin_ids
        or user_id == query.from_user.id
    ):
        await query.answer(_("Ese botón ya no está activo."))
        return
    name = forwarded_name(query.message, user_id)
    before = await staff.role_of(session, (), user_id)
    await staff.add(session, user_id, role, query.from_user.id, name)
    if before != role:
        await tell_role(session, user_id, role)
        await menus.set_member_commands(bot, user_id, role)
    shown = esc(name) if name else f"#{user_id}"
    await show(query, _("Listo: <b>{name}</b> ahora es {role}.").format(name=shown, role=role_label(role)))
