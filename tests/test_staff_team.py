"""Staff management through the bot: invitation links, /equipo (role change, removal), adding by a
forwarded message, refusals for everyone else, and the staff command menus (Bot API scopes)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from peam_bot.admin.team import TeamCb
from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram
from peam_bot.services import staff
from peam_bot.storage.models import AuditEntry, StaffInvite, StaffMember, utcnow
from peam_bot.storage.models import User as Resident
from peam_bot.telegram.app import App
from tests.conftest import STAFF_CHAT, StartApp, onboard

ADMIN_ID = 950_101
REFUSAL = "Esta opción no está disponible."


@pytest.fixture
async def app(start_app: StartApp) -> App:
    return await start_app(admin_ids=[ADMIN_ID])


@pytest.fixture
def admin(tg: FakeTelegram, app: App) -> User:
    return User(tg, ADMIN_ID, "Carla")


def chat_menu(tg: FakeTelegram, chat_id: int, language_code: str = "") -> list[str]:
    return [c["command"] for c in tg.get_commands({"type": "chat", "chat_id": chat_id}, language_code)]


async def member(app: App, user_id: int) -> StaffMember | None:
    async with app.session_factory() as s:
        return await s.get(StaffMember, user_id)


async def audit_actions(app: App, user_id: int) -> list[str]:
    async with app.session_factory() as s:
        rows = await s.execute(
            select(AuditEntry.action).where(AuditEntry.target == f"staff:{user_id}").order_by(AuditEntry.id)
        )
        return list(rows.scalars())


async def invite_token(app: App, admin: User, role: str) -> str:
    uid = await admin.send(f"/invitar {role}")
    (msg,) = await admin.replies(1)
    assert await app.wait_handled(uid)
    found = re.search(r"https://t\.me/peam_test_bot\?start=staff_([A-Za-z0-9_-]+)", msg.plain or "")
    assert found, msg.plain
    assert "una sola vez" in msg.plain and "48 horas" in msg.plain
    return found.group(1)


async def join(app: App, person: User, token: str) -> str:
    uid = await person.send(f"/start staff_{token}")
    (welcome,) = await person.replies(1)
    assert await app.wait_handled(uid)
    return welcome.plain or ""


async def test_start_up_menus_for_admin_and_staff_group(app: App, tg: FakeTelegram) -> None:
    menu = chat_menu(tg, ADMIN_ID)
    staff_commands = {"cola", "iniciativa", "auditoria", "plantillas", "equipo", "invitar"}
    assert {"proyectos", "ayuda"} | staff_commands <= set(menu)
    assert {"projects", "queue", "team", "invite"} <= set(chat_menu(tg, ADMIN_ID, "en"))
    group = chat_menu(tg, STAFF_CHAT)
    assert "cola" in group and "equipo" not in group and "proyectos" not in group
    # residents keep the general menu, without staff commands
    general = [c["command"] for c in tg.get_commands({"type": "all_private_chats"})]
    assert "proyectos" in general and "cola" not in general


async def test_invite_link_makes_a_moderator_once(app: App, admin: User, tg: FakeTelegram) -> None:
    await admin.send("/invitar")
    (ask,) = await admin.replies(1)
    assert "rol" in ask.plain and [t for row in ask.buttons() for t, _ in row][:3] == [
        "Moderador",
        "Organizador",
        "Administrador",
    ]
    uid = await admin.press("Moderador")
    _edit, link = await admin.replies(2)
    assert await app.wait_handled(uid)
    token = re.search(r"start=staff_([A-Za-z0-9_-]+)", link.plain or "")
    assert token and "moderador" in link.plain and "vence en 48 horas" in link.plain

    person = User(tg, 700_101, "Luis")  # never accepted the resident notice
    assert chat_menu(tg, person.user_id) == []
    welcome = await join(app, person, token.group(1))
    assert "Ya es parte del equipo de AQPlan como moderador." in welcome and "/cola" in welcome
    row = await member(app, person.user_id)
    assert row is not None and row.role == "moderador" and row.name == "Luis" and row.added_by == ADMIN_ID
    async with app.session_factory() as s:
        assert await s.get(Resident, person.user_id) is None
        invite = await s.get(StaffInvite, token.group(1))
        assert invite is not None and invite.used_by == person.user_id
    assert await audit_actions(app, person.user_id) == ["staff_add"]
    assert "cola" in chat_menu(tg, person.user_id) and "equipo" not in chat_menu(tg, person.user_id)
    assert "queue" in chat_menu(tg, person.user_id, "en")

    # the same link a second time: refused, nothing changes
    other = User(tg, 700_102, "Intruso")
    text = await join(app, other, token.group(1))
    assert "ya fue usada" in text and "Pida una nueva a un administrador" in text
    assert await member(app, other.user_id) is None and chat_menu(tg, other.user_id) == []

    # a moderator cannot manage the staff
    await person.send("/invitar moderador")
    (refused,) = await person.replies(1)
    assert refused.plain == REFUSAL


async def test_expired_and_unknown_invitations_are_refused(app: App, admin: User, tg: FakeTelegram) -> None:
    token = await invite_token(app, admin, "organizador")
    async with app.session_factory() as s, s.begin():
        invite = await s.get(StaffInvite, token)
        assert invite is not None
        invite.expires_at = utcnow() - timedelta(minutes=1)
    person = User(tg, 700_111, "Ana")
    assert "ya venció" in await join(app, person, token)
    assert "no es válida" in await join(app, person, "abcdefghijklmnop")
    assert await member(app, person.user_id) is None
    async with app.session_factory() as s:
        invite = await s.get(StaffInvite, token)
        assert invite is not None and invite.used_by is None


async def test_invitations_only_in_private_chat(app: App, admin: User, tg: FakeTelegram) -> None:
    before = tg.message_count(STAFF_CHAT)
    uid = await admin.send("/invitar moderador", chat_id=STAFF_CHAT)
    assert await app.wait_handled(uid)
    (reply,) = tg.messages_for(STAFF_CHAT)[before:]
    assert "chat privado" in (reply.plain or "") and "start=staff_" not in (reply.plain or "")
    async with app.session_factory() as s:
        assert (await s.execute(select(func.count()).select_from(StaffInvite))).scalar_one() == 0


async def test_team_list_role_change_and_removal(app: App, admin: User, tg: FakeTelegram) -> None:
    person = User(tg, 700_121, "Luis")
    await join(app, person, await invite_token(app, admin, "moderador"))
    assert "cola" in chat_menu(tg, person.user_id)

    await admin.send("/equipo")
    (team,) = await admin.replies(1)
    assert "Equipo de AQPlan" in team.plain and "Luis — moderador" in team.plain
    assert "Carla — administrador 🔒" in team.plain  # the name they use on Telegram, not their id

    # the bootstrap admin (PEAM_ADMIN_IDS) can't be changed from the bot
    await admin.press("Carla · administrador")
    (view,) = await admin.replies(1)
    assert "PEAM_ADMIN_IDS" in view.plain and not any("Quitar" in t for row in view.buttons() for t, _ in row)
    await admin.press("Volver")
    await admin.replies(1)

    await admin.press("Luis")
    (view,) = await admin.replies(1)
    assert "Rol: moderador" in view.plain
    await admin.press("Cambiar a administrador")
    (confirm,) = await admin.replies(1)
    assert "¿Cambiar el rol de Luis de moderador a administrador?" in confirm.plain
    uid = await admin.press("Sí, cambiar")
    (done,) = await admin.replies(1)
    assert await app.wait_handled(uid)
    assert "Luis ahora es administrador" in done.plain
    assert (await member(app, person.user_id)).role == "admin"  # type: ignore[union-attr]
    assert "equipo" in chat_menu(tg, person.user_id) and "team" in chat_menu(tg, person.user_id, "en")
    (notice,) = await person.replies(1, timeout=10)  # through the outbox
    assert "le dio el rol de administrador" in notice.plain and "/invitar" in notice.plain

    await admin.press("Volver")
    (team,) = await admin.replies(1)
    assert "Luis — administrador" in team.plain
    await admin.press("Luis")
    await admin.replies(1)
    await admin.press("Quitar del equipo")
    (confirm,) = await admin.replies(1)
    assert "¿Quitar a Luis del equipo?" in confirm.plain
    await admin.press("Cancelar")  # back to the member, nothing removed
    (view,) = await admin.replies(1)
    assert "Rol: administrador" in view.plain and await member(app, person.user_id) is not None
    await admin.press("Quitar del equipo")
    await admin.replies(1)
    uid = await admin.press("Sí, quitar")
    (done,) = await admin.replies(1)
    assert await app.wait_handled(uid)
    assert "Luis ya no es parte del equipo" in done.plain
    assert await member(app, person.user_id) is None
    assert await audit_actions(app, person.user_id) == ["staff_add", "staff_add", "staff_remove"]
    assert chat_menu(tg, person.user_id) == [] and chat_menu(tg, person.user_id, "en") == []
    (notice,) = await person.replies(1, timeout=10)
    assert "Ya no forma parte del equipo" in notice.plain

    # a stale button about them shows the list again
    uid = await admin.press_data(TeamCb(action="view", user_id=person.user_id).pack(), done.message_id)
    (team,) = await admin.replies(1)
    assert admin.callback_answers[-1]["text"] == "Esa persona ya no está en el equipo."
    assert "Equipo de AQPlan (1)" in team.plain and "Luis" not in team.plain

    # they lost the staff commands
    await person.send("/equipo")
    (refused,) = await person.replies(1)
    assert refused.plain == REFUSAL


async def test_admin_cannot_remove_themselves(app: App, admin: User, tg: FakeTelegram) -> None:
    other = User(tg, 700_131, "Sofía")
    await join(app, other, await invite_token(app, admin, "admin"))
    await other.send("/equipo")
    await other.replies(1)
    await other.press("Sofía")
    (view,) = await other.replies(1)
    assert "su propio rol" in view.plain and not any("Quitar" in t for row in view.buttons() for t, _ in row)
    # a forged "remove" press for themselves, or for the bootstrap admin, changes nothing
    for target in (other.user_id, ADMIN_ID):
        uid = await other.press_data(TeamCb(action="rmok", user_id=target).pack(), view.message_id)
        assert await app.wait_handled(uid)
    assert (await member(app, other.user_id)).role == "admin"  # type: ignore[union-attr]
    assert await audit_actions(app, ADMIN_ID) == []


async def test_forwarded_message_adds_the_person(app: App, admin: User, tg: FakeTelegram) -> None:
    person = User(tg, 700_141, "Marta")  # never wrote to the bot
    await admin.forward_from(person, "Hola, soy Marta de AQPlan")
    (offer,) = await admin.replies(1)
    assert "¿Qué rol tendrá Marta en el equipo?" in offer.plain
    labels = [t for row in offer.buttons() for t, _ in row]
    assert labels == ["Moderador", "Organizador", "Administrador", "✖️ Cancelar"]
    uid = await admin.press("Moderador")
    (done,) = await admin.replies(1)
    assert await app.wait_handled(uid)
    assert "Marta ahora es moderador" in done.plain
    row = await member(app, person.user_id)
    assert row is not None and row.role == "moderador" and row.name == "Marta" and row.added_by == ADMIN_ID
    assert await audit_actions(app, person.user_id) == ["staff_add"]
    assert "cola" in chat_menu(tg, person.user_id)
    (notice,) = await person.replies(1, timeout=10)
    assert "le dio el rol de moderador" in notice.plain and "/cola" in notice.plain

    # forwarding again shows the current role; cancel changes nothing
    await admin.forward_from(person, "Otro mensaje")
    (offer,) = await admin.replies(1)
    assert "Ahora es moderador." in offer.plain
    await admin.press("Cancelar")
    _edit, cancelled = await admin.replies(2)
    assert "no cambié nada" in cancelled.plain

    # someone who hides their account in forwards
    await admin.forward_from("Pedro Oculto", "Hola")
    (hidden,) = await admin.replies(1)
    assert "oculta su cuenta" in hidden.plain and "/invitar" in hidden.plain and not hidden.buttons()


async def test_residents_cannot_manage_staff(app: App, tg: FakeTelegram, resident: User) -> None:
    await onboard(resident)
    target = User(tg, 700_151, "Marta")
    async with app.session_factory() as s, s.begin():
        await staff.add(s, target.user_id, "moderador", ADMIN_ID, "Marta")
    for command in ("/equipo", "/invitar moderador", "/team", "/invite"):
        await resident.send(command)
        (reply,) = await resident.replies(1)
        assert reply.plain == REFUSAL, command
    # forged button presses are refused too
    last = resident.last()
    for data in (
        TeamCb(action="rmok", user_id=target.user_id).pack(),
        TeamCb(action="add", user_id=resident.user_id, role="admin").pack(),
        TeamCb(action="inv", role="admin").pack(),
    ):
        uid = await resident.press_data(data, last.message_id)
        assert await app.wait_handled(uid)
        assert resident.callback_answers[-1]["text"] == REFUSAL
    # a forwarded message from a resident falls through to the resident handlers: no role offer
    uid = await resident.forward_from(target, "puente Chilina")
    assert await app.wait_handled(uid)
    assert all("¿Qué rol tendrá" not in (m.plain or "") for m in await resident.settle())
    # someone who never accepted the notice is refused as well
    stranger = User(tg, 700_152, "Zoe")
    await stranger.send("/equipo")
    (reply,) = await stranger.replies(1)
    assert reply.plain == REFUSAL
    async with app.session_factory() as s:
        assert (await s.execute(select(func.count()).select_from(StaffInvite))).scalar_one() == 0
        members = (await s.execute(select(StaffMember.user_id, StaffMember.role))).all()
        assert [tuple(m) for m in members] == [(target.user_id, "moderador")]
        assert await audit_actions(app, resident.user_id) == []
