from __future__ import annotations

from sqlalchemy import func, select

from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram
from peam_bot.storage.models import FsmRecord
from peam_bot.storage.models import User as DbUser
from peam_bot.telegram.app import App
from tests.conftest import onboard


async def count_users(app: App) -> int:
    async with app.session_factory() as s:
        return (await s.execute(select(func.count()).select_from(DbUser))).scalar_one()


async def test_onboarding_stores_resident_only_after_consent(app: App, resident: User) -> None:
    await resident.send("/start")
    welcome, notice = await resident.replies(2)
    assert "Plan Estratégico de Arequipa Metropolitana (PEAM)" in welcome.plain
    assert "Ley 29733" in notice.plain and "2 años" in notice.plain
    assert [b[0] for b in notice.buttons()[0]] == ["✅ Acepto", "No acepto"]
    assert await count_users(app) == 0

    await resident.press("Acepto")
    edited, question = await resident.replies(2)
    assert edited.edited and not edited.buttons()
    assert "distrito" in question.plain
    labels = [t for row in question.buttons() for t, _ in row]
    assert labels[:2] == ["Alto Selva Alegre", "Arequipa (Cercado)"]
    assert "Otros distritos ➡️" in labels and "Vítor" not in labels

    await resident.press("Otros distritos")
    (page,) = await resident.replies(1)
    assert "Vítor" in [t for row in page.buttons() for t, _ in row]
    await resident.press("Volver")
    await resident.replies(1)
    uid = await resident.press("Yanahuara")
    confirmed, menu = await resident.replies(2)
    assert await app.wait_handled(uid)
    assert "Yanahuara" in confirmed.plain
    assert "¿Qué desea hacer?" in menu.plain
    keyboard = [b for row in menu.reply_markup["keyboard"] for b in row]
    assert {"text": "📝 Proponer iniciativa"} in keyboard

    async with app.session_factory() as s:
        row = await s.get(DbUser, resident.user_id)
        assert row is not None and row.district == "yanahuara" and row.locale == "es"
        assert row.consent_at is not None


async def test_refusing_consent_stores_nothing(app: App, resident: User) -> None:
    await resident.send("/start")
    await resident.replies(2)
    uid = await resident.press("No acepto")
    _edit, bye = await resident.replies(2)
    assert await app.wait_handled(uid)
    assert "No guardamos ningún dato suyo" in bye.plain
    assert await count_users(app) == 0
    async with app.session_factory() as s:
        assert (await s.execute(select(func.count()).select_from(FsmRecord))).scalar_one() == 0
    # writing again shows the notice again, still storing nothing
    uid = await resident.send("hola")
    welcome, notice = await resident.replies(2)
    assert await app.wait_handled(uid)
    assert "Acepto" in notice.buttons()[0][0][0]
    assert await count_users(app) == 0


async def test_commands_after_refusing_consent_show_the_notice_again(app: App, resident: User) -> None:
    """/proponer and /distrito need the resident's record: after No acepto they lead back to the
    notice (they used to fail and answer nothing)."""
    await resident.send("/start")
    await resident.replies(2)
    await resident.press("No acepto")
    await resident.replies(2)
    for command in ("/proponer", "/distrito"):
        uid = await resident.send(command)
        welcome, notice = await resident.replies(2)
        assert await app.wait_handled(uid)
        assert "Ley 29733" in notice.plain
        assert [b[0] for b in notice.buttons()[0]] == ["✅ Acepto", "No acepto"]
        await resident.press("No acepto")
        await resident.replies(2)
    assert await count_users(app) == 0


async def test_changing_district_shows_the_current_one(app: App, resident: User) -> None:
    await onboard(resident, "Cayma")
    await resident.send("/distrito")
    (q,) = await resident.replies(1)
    assert "Ahora figura en Cayma" in q.plain and "/cancelar" in q.plain
    await resident.send("/cancelar")
    (m,) = await resident.replies(1)
    assert "cancelado" in m.plain
    await resident.send("/distrito")
    await resident.replies(1)
    uid = await resident.press("Yanahuara")
    await resident.replies(2)
    assert await app.wait_handled(uid)
    async with app.session_factory() as s:
        row = await s.get(DbUser, resident.user_id)
        assert row is not None and row.district == "yanahuara"


async def test_language_chosen_after_refusing_shows_the_notice_in_it(app: App, resident: User) -> None:
    await resident.send("/start")
    await resident.replies(2)
    await resident.press("No acepto")
    await resident.replies(2)
    await resident.send("/idioma")
    (ask,) = await resident.replies(1)
    await resident.press("English", ask)
    _done, welcome, notice = await resident.replies(3)
    assert notice.buttons()[0][0][0] == "✅ I agree" and "Ley 29733" in notice.plain
    uid = await resident.press("✅ I agree", notice)
    await resident.replies(2)
    assert await app.wait_handled(uid)
    async with app.session_factory() as s:
        row = await s.get(DbUser, resident.user_id)
        assert row is not None and row.locale == "en"


async def test_refusing_again_after_a_language_choice_keeps_nothing(app: App, resident: User) -> None:
    await resident.send("/start")
    await resident.replies(2)
    await resident.press("No acepto")
    await resident.replies(2)
    await resident.send("/idioma")
    (ask,) = await resident.replies(1)
    await resident.press("English", ask)
    _done, _welcome, notice = await resident.replies(3)
    uid = await resident.press(notice.buttons()[0][1][0], notice)  # "I do not accept"
    await resident.replies(2)
    assert await app.wait_handled(uid)
    assert await count_users(app) == 0
    async with app.session_factory() as s:
        assert (await s.execute(select(func.count()).select_from(FsmRecord))).scalar_one() == 0


async def test_deep_link_survives_onboarding(app: App, resident: User) -> None:
    other = User(resident.tg, 700_002)
    await onboard(other)
    await other.send("/proponer")
    await other.replies(1)
    await resident.send("/start ini_INI-2026-00001")
    await resident.replies(2)
    await resident.press("Acepto")
    await resident.replies(2)
    await resident.press("Cayma")
    _confirm, _menu, opened = await resident.replies(3)
    assert "No encontré la iniciativa" in opened.plain  # the link was opened after onboarding


async def test_blocked_bot_marks_resident_unreachable(app: App, resident: User, tg: FakeTelegram) -> None:
    await onboard(resident)
    tg.push_update(
        {
            "my_chat_member": {
                "chat": {"id": resident.chat_id, "type": "private", "first_name": "Rosa"},
                "from": {"id": resident.user_id, "is_bot": False, "first_name": "Rosa"},
                "date": 1,
                "old_chat_member": {"status": "member", "user": {"id": 1, "is_bot": True, "first_name": "b"}},
                "new_chat_member": {
                    "status": "kicked",
                    "until_date": 0,
                    "user": {"id": 1, "is_bot": True, "first_name": "b"},
                },
            }
        }
    )

    async def unreachable() -> bool:
        async with app.session_factory() as s:
            row = await s.get(DbUser, resident.user_id)
            return row is not None and row.unreachable_at is not None

    import asyncio

    for _ in range(100):
        if await unreachable():
            break
        await asyncio.sleep(0.02)
    assert await unreachable()
