"""Moderation end to end: two moderators and an admin in the staff group, residents in private chat.

Each triage action and the message the resident gets; the request-info round trip; duplicate merge
of supports and followers; rejection templates; hide/block and undo; supports; the queue; the
audit trail; and the race of two moderators acting on one initiative at the same moment.
"""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram
from peam_bot.services import audit, initiatives, portfolio_sheet, staff
from peam_bot.services.initiatives import Draft
from peam_bot.services.moderation import history, templates
from peam_bot.storage.models import (
    AuditEntry,
    Initiative,
    InitiativeMessage,
    InitiativeSupport,
    OutboxMessage,
    Project,
    ProjectFollower,
    ProjectInitiative,
)
from peam_bot.telegram.app import App
from tests.conftest import STAFF_CHAT, StartApp, eventually, onboard

ADMIN, ANA, BETO = 960_000, 960_001, 960_002
REFUSAL = "Esta opción no está disponible."


@pytest.fixture
async def app(start_app: StartApp) -> App:
    app = await start_app(admin_ids=[ADMIN])
    async with app.session_factory() as s, s.begin():
        await staff.add(s, ANA, "moderador", ADMIN, "Ana Quispe")
        await staff.add(s, BETO, "moderador", ADMIN, "Beto Mamani")
    return app


@pytest.fixture
def ana(tg: FakeTelegram, app: App) -> User:
    return User(tg, ANA, "Ana Quispe")


@pytest.fixture
def beto(tg: FakeTelegram, app: App) -> User:
    return User(tg, BETO, "Beto Mamani")


@pytest.fixture
def admin(tg: FakeTelegram, app: App) -> User:
    return User(tg, ADMIN, "Admin")


async def submit(
    app: App,
    author: User,
    title: str = "Semáforo peatonal en la Av. Ejército",
    description: str = "Los niños del colegio cruzan la avenida sin semáforo y ya hubo dos accidentes.",
    district: str = "cayma",
    theme: str = "movilidad",
) -> str:
    """Store an initiative through the same service the /proponer form ends in."""
    async with app.session_factory() as s, s.begin():
        draft = Draft(title=title, description=description, district=district, theme=theme)
        ini = await initiatives.submit(s, author.user_id, draft, STAFF_CHAT, 2026)
        code = ini.code
    app.worker.wake()
    return code


def staff_message(tg: FakeTelegram, message_id: int) -> dict[str, Any]:
    msg = tg.get_message(STAFF_CHAT, message_id)
    assert msg is not None
    return msg


def labels(msg: dict[str, Any]) -> list[str]:
    return [b["text"] for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def announcement(tg: FakeTelegram, code: str) -> int:
    """The message id of the staff chat's announcement of ``code`` (once the outbox sent it)."""

    def find() -> int | None:
        for sm in tg.messages_for(STAFF_CHAT):
            if sm.method == "sendMessage" and code in (sm.plain or "") and sm.reply_markup:
                return sm.message_id
        return None

    assert await tg.wait_until(lambda: find() is not None, 10), f"no announcement of {code}"
    mid = find()
    assert mid is not None
    return mid


async def press(user: User, message_id: int, label: str) -> None:
    msg = staff_message(user.tg, message_id)
    for row in msg["reply_markup"]["inline_keyboard"]:
        for b in row:
            if label.casefold() in b["text"].casefold():
                await user.press_data(b["callback_data"], message_id, chat_id=STAFF_CHAT)
                return
    raise AssertionError(f"no button {label!r} in {labels(msg)}")


async def answered(user: User, n: int) -> dict[str, Any]:
    """Wait for the n-th callback answer to this user's presses; return it."""
    assert await user.tg.wait_until(lambda: len(user.callback_answers) >= n, 10), user.callback_answers
    return user.callback_answers[n - 1]


async def staff_text_until(tg: FakeTelegram, message_id: int, needle: str) -> str:
    ok = await tg.wait_until(lambda: needle in (staff_message(tg, message_id).get("text") or ""), 10)
    text = staff_message(tg, message_id).get("text") or ""
    assert ok, f"{needle!r} not in staff message: {text}"
    return text


async def group_reply(user: User, text: str) -> None:
    """Answer the bot's ForceReply in the staff group (a reply, as Telegram delivers it)."""
    last = [
        m for m in user.tg.messages_for(STAFF_CHAT) if m.reply_markup and m.reply_markup.get("force_reply")
    ]
    assert last, "the bot asked nothing"
    user._push_message(
        STAFF_CHAT, text=text, reply_to_message=user.tg.get_message(STAFF_CHAT, last[-1].message_id)
    )


async def accept_as_new(moderator: User, message_id: int) -> str:
    """Aceptar → Crear un proyecto nuevo; returns the staff message once it shows the outcome."""
    await press(moderator, message_id, "Aceptar")
    await staff_text_until(moderator.tg, message_id, "¿Proyecto nuevo o vincular")
    await press(moderator, message_id, "Crear un proyecto nuevo")
    return await staff_text_until(moderator.tg, message_id, "Aceptada")


async def reject_with_template(moderator: User, message_id: int, template: str) -> None:
    await press(moderator, message_id, "Rechazar")
    await staff_text_until(moderator.tg, message_id, "¿Por qué no se admite?")
    await press(moderator, message_id, template)
    await staff_text_until(moderator.tg, message_id, "Motivo que recibirá la persona autora")
    await press(moderator, message_id, "Enviar este motivo")
    await staff_text_until(moderator.tg, message_id, "Rechazada")


async def ini_row(app: App, code: str) -> Initiative:
    async with app.session_factory() as s:
        ini = (await s.execute(select(Initiative).where(Initiative.code == code))).scalar_one()
        return ini


async def settle_outbox(app: App) -> None:
    async def idle() -> bool:
        async with app.session_factory() as s:
            n = await s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(
                    OutboxMessage.status.in_(("pending", "sending")),
                    OutboxMessage.ref.is_(None) | ~OutboxMessage.ref.startswith("review:"),
                )
            )
            return n == 0

    app.worker.wake()
    assert await eventually(idle, 15)


async def test_accept_creates_a_project_and_tells_the_author(
    app: App, tg: FakeTelegram, resident: User, ana: User
) -> None:
    await onboard(resident)
    code = await submit(app, resident)
    mid = await announcement(tg, code)
    assert {
        "✅ Aceptar / Vincular",
        "❓ Pedir información",
        "✖️ Rechazar",
        "♊ Duplicada",
        "👤 Asignar",
    } <= set(labels(staff_message(tg, mid)))
    text = await accept_as_new(ana, mid)
    assert "por Ana Quispe" in text
    assert "Aceptar / Vincular" not in labels(staff_message(tg, mid))
    (news,) = await resident.replies(1, timeout=10)
    assert code in news.plain and "fue aceptada" in news.plain
    async with app.session_factory() as s:
        ini = (await s.execute(select(Initiative).where(Initiative.code == code))).scalar_one()
        assert ini.status == "aceptada" and ini.decided_by == ANA
        project = (
            await s.execute(
                select(Project)
                .join(ProjectInitiative, ProjectInitiative.project_id == Project.id)
                .where(ProjectInitiative.initiative_id == ini.id)
            )
        ).scalar_one()
        assert project.name == ini.title and project.phase == "idea" and project.code in news.plain
        assert await s.get(ProjectFollower, (project.id, resident.user_id)) is not None
        actions = [e.action for e in await audit.for_target(s, code)]
        assert actions == ["review", "aceptada"]
        # the "in review" notice was withdrawn: the resident got one message, the decision
        review = (
            await s.execute(select(OutboxMessage).where(OutboxMessage.ref == f"review:{code}"))
        ).scalar_one()
        assert review.status == "cancelled"


async def test_link_to_a_similar_project(app: App, tg: FakeTelegram, resident: User, beto: User) -> None:
    async with app.session_factory() as s, s.begin():
        await portfolio_sheet.load_sample(s)
    await onboard(resident)
    code = await submit(
        app,
        resident,
        title="Arreglar el puente Chilina",
        description="El puente Chilina necesita mantenimiento y veredas seguras para los peatones.",
    )
    mid = await announcement(tg, code)
    await press(beto, mid, "Aceptar")
    await staff_text_until(tg, mid, "¿Proyecto nuevo o vincular")
    assert any(label.startswith("🔗 Vincular a P-001") for label in labels(staff_message(tg, mid)))
    await press(beto, mid, "Vincular a P-001")
    await staff_text_until(tg, mid, "Vinculada → P-001")
    (news,) = await resident.replies(1, timeout=10)
    assert "se sumó al proyecto <b>P-001</b>" in (news.text or "")
    assert (await ini_row(app, code)).status == "vinculada"


async def test_staff_screens_stay_in_spanish_for_an_english_moderator(
    app: App, tg: FakeTelegram, resident: User, ana: User
) -> None:
    await ana.send("/idioma")
    (ask,) = await ana.replies(1)
    await ana.press("English", ask)
    (done,) = await ana.replies(1)
    assert "English" in done.plain
    await onboard(resident)
    code = await submit(app, resident)
    mid = await announcement(tg, code)
    await press(ana, mid, "Rechazar")
    text = await staff_text_until(tg, mid, "¿Por qué no se admite?")
    assert "✏️ Escribir otro motivo" in labels(staff_message(tg, mid)) and "Write" not in text
    await ana.send("/cola")
    (queue,) = await ana.replies(1)
    assert code in queue.plain and "ago" not in queue.plain


async def test_reject_with_template_and_with_edited_reason(
    app: App, tg: FakeTelegram, resident: User, ana: User
) -> None:
    await onboard(resident)
    first = await submit(app, resident)
    mid = await announcement(tg, first)
    await reject_with_template(ana, mid, "Falta detalle")
    (news,) = await resident.replies(1, timeout=10)
    assert "no pudo admitirla" in news.plain and "información mínima" in news.plain

    second = await submit(app, resident, title="Otra idea para el parque del barrio")
    mid2 = await announcement(tg, second)
    await press(ana, mid2, "Rechazar")
    await staff_text_until(tg, mid2, "¿Por qué no se admite?")
    await press(ana, mid2, "Fuera del ámbito")
    await staff_text_until(tg, mid2, "Motivo que recibirá")
    await press(ana, mid2, "Editarlo antes")
    assert await tg.wait_until(
        lambda: any("Texto de la plantilla" in (m.plain or "") for m in tg.messages_for(STAFF_CHAT)), 10
    )
    await group_reply(ana, "Corresponde al Gobierno Regional; por favor preséntela allí <b>pronto</b>.")
    assert await tg.wait_until(
        lambda: any(
            "Motivo que recibirá la persona autora (" in (m.plain or "") for m in tg.messages_for(STAFF_CHAT)
        ),
        10,
    )
    preview = [
        m for m in tg.messages_for(STAFF_CHAT) if "Motivo que recibirá la persona autora (" in (m.plain or "")
    ][-1]
    await press(ana, preview.message_id, "Enviar este motivo")
    await staff_text_until(tg, mid2, "Rechazada")
    (news,) = await resident.replies(1, timeout=10)
    assert "Gobierno Regional" in news.plain and "<b>pronto</b>" in news.plain  # markup shown, not applied
    async with app.session_factory() as s:
        entries = await audit.for_target(s, second)
        assert entries[-1].action == "rechazada" and "Gobierno Regional" in (entries[-1].reason or "")


async def test_templates_are_editable(app: App, tg: FakeTelegram, resident: User, ana: User) -> None:
    await ana.send("/plantillas")
    (lst,) = await ana.replies(1)
    assert "Falta detalle" in lst.plain
    await ana.press("➕ Nuevo motivo")
    await ana.replies(1)
    await ana.send("sin título")
    (bad,) = await ana.replies(1)
    assert "Título | texto" in bad.plain
    await ana.send("Zona intangible | La zona es intangible por riesgo de huaicos y no admite obras.")
    (saved,) = await ana.replies(1)
    assert "Guardado" in saved.plain and "Zona intangible" in saved.plain
    await onboard(resident)
    code = await submit(app, resident)
    mid = await announcement(tg, code)
    await press(ana, mid, "Rechazar")
    await staff_text_until(tg, mid, "¿Por qué no se admite?")
    assert "📝 Zona intangible" in labels(staff_message(tg, mid))
    # delete it again: gone from the list and from the choices
    await ana.send("/plantillas")
    (lst,) = await ana.replies(1)
    row = next(r for r in lst.buttons() if "Zona intangible" in r[0][0])
    await ana.press_data(row[1][1], lst.message_id)
    (ask,) = await ana.replies(1)  # nothing deleted yet: Volver keeps it
    assert "¿Borrar el motivo Zona intangible?" in ask.plain
    await ana.press("Volver", ask)
    (lst,) = await ana.replies(1)
    assert "Zona intangible" in lst.plain
    await ana.press_data(row[1][1], lst.message_id)
    (ask,) = await ana.replies(1)
    await ana.press("Sí, borrar", ask)
    (after,) = await ana.replies(1)
    assert "Zona intangible" not in after.plain and "Falta detalle" in after.plain
    async with app.session_factory() as s:
        actions = (
            await s.execute(select(AuditEntry.action).where(AuditEntry.action.like("template_%")))
        ).scalars()
        assert list(actions) == ["template_add", "template_delete"]


async def test_request_information_round_trip(app: App, tg: FakeTelegram, resident: User, ana: User) -> None:
    await onboard(resident)
    code = await submit(app, resident)
    mid = await announcement(tg, code)
    await press(ana, mid, "Pedir información")
    assert await tg.wait_until(
        lambda: any("scriba la pregunta" in (m.plain or "") for m in tg.messages_for(STAFF_CHAT)), 10
    )
    await group_reply(ana, "¿En qué cuadra exactamente está el cruce?")
    await staff_text_until(tg, mid, "Se pidió información")
    (question,) = await resident.replies(1, timeout=10)
    assert "¿En qué cuadra exactamente está el cruce?" in question.plain
    await resident.send(f"/estado {code}")  # the question can be answered from the status too
    (status,) = await resident.replies(1)
    assert "¿En qué cuadra exactamente está el cruce?" in status.plain
    assert status.buttons()[0][0][0] == "✍️ Responder"
    await resident.press("Responder", question)
    (prompt,) = await resident.replies(1)
    assert "Escriba su respuesta" in prompt.plain
    await resident.send_sticker()
    (hint,) = await resident.replies(1)
    assert "como texto" in hint.plain
    await resident.send("En la cuadra 5, frente al colegio San José.")
    (thanks,) = await resident.replies(1)
    assert "vuelve a revisión" in thanks.plain
    assert await tg.wait_until(
        lambda: any(
            "Respuesta de la persona autora" in (m.plain or "") and "cuadra 5" in (m.plain or "")
            for m in tg.messages_for(STAFF_CHAT)
        ),
        10,
    )
    answer_msg = [
        m for m in tg.messages_for(STAFF_CHAT) if "Respuesta de la persona autora" in (m.plain or "")
    ][-1]
    assert "✖️ Rechazar" in labels(staff_message(tg, answer_msg.message_id))  # back in the queue, actionable
    # the first announcement follows along (it shows the state the answer brought)
    await staff_text_until(tg, mid, "En revisión")
    ini = await ini_row(app, code)
    assert ini.status == "en_revision"
    async with app.session_factory() as s:
        msgs = (
            await s.execute(
                select(InitiativeMessage.direction).where(InitiativeMessage.initiative_id == ini.id)
            )
        ).scalars()
        assert list(msgs) == ["question", "answer"]
        trail = [await history.audit_line(s, e) for e in await audit.for_target(s, code)]
    assert any("la persona autora · respondió" in line for line in trail), trail
    assert not any("autora · la persona autora" in line for line in trail), trail
    # the old button cannot be used twice
    before = len(resident.callback_answers)
    await resident.press_data(f"ans:{ini.id}", question.message_id)
    assert await resident.tg.wait_until(lambda: len(resident.callback_answers) > before, 5)
    assert "ya fue respondida" in (resident.callback_answers[-1].get("text") or ""), resident.callback_answers


async def test_duplicate_merges_supports_and_followers(
    app: App, tg: FakeTelegram, resident: User, ana: User
) -> None:
    async with app.session_factory() as s, s.begin():
        await portfolio_sheet.load_sample(s)
    other = User(tg, 700_002, "Luis")
    fan = User(tg, 700_003, "Carmen")
    for u in (resident, other, fan):
        await onboard(u)
    original = await submit(
        app,
        resident,
        title="Ciclovía en la avenida Ejército",
        description="Una ciclovía segura en toda la avenida Ejército para ir al trabajo.",
    )
    dup = await submit(
        app,
        other,
        title="Ciclovia avenida Ejercito",
        description="Pedimos una ciclovía en la Av. Ejército, es peligroso ir en bicicleta.",
    )
    # the original is linked to a project; the duplicate has a supporter
    mid_o = await announcement(tg, original)
    await accept_as_new(ana, mid_o)
    await fan.send(f"/estado {dup}")
    (status,) = await fan.replies(1)
    await fan.press("Apoyar", status)
    await fan.replies(1)  # the status message, edited with the count
    mid_d = await announcement(tg, dup)
    await press(ana, mid_d, "Duplicada")
    await staff_text_until(tg, mid_d, "¿Duplicada de cuál?")
    await press(ana, mid_d, original)
    await staff_text_until(tg, mid_d, f"Duplicada → {original}")
    await settle_outbox(app)
    told = [m.plain for m in tg.messages_for(other.user_id) if "coincide con" in (m.plain or "")]
    assert told and original in told[0]
    assert any("coincide con" in (m.plain or "") for m in tg.messages_for(fan.user_id))
    async with app.session_factory() as s:
        o = (await s.execute(select(Initiative).where(Initiative.code == original))).scalar_one()
        d = (await s.execute(select(Initiative).where(Initiative.code == dup))).scalar_one()
        assert d.duplicate_of == o.id and d.supports == 0
        supporters = set(
            (
                await s.execute(
                    select(InitiativeSupport.user_id).where(InitiativeSupport.initiative_id == o.id)
                )
            ).scalars()
        )
        assert supporters == {other.user_id, fan.user_id} and o.supports == 2
        project_id = (
            await s.execute(
                select(ProjectInitiative.project_id).where(ProjectInitiative.initiative_id == o.id)
            )
        ).scalar_one()
        followers = set(
            (
                await s.execute(
                    select(ProjectFollower.user_id).where(ProjectFollower.project_id == project_id)
                )
            ).scalars()
        )
        assert {resident.user_id, other.user_id, fan.user_id} <= followers


async def test_typed_original_code_is_confirmed_before_marking(
    app: App, tg: FakeTelegram, resident: User, ana: User
) -> None:
    await onboard(resident)
    original = await submit(app, resident, title="Alumbrado en el parque de Umacollo")
    dup = await submit(app, resident, title="Semáforo en la avenida Ejército")
    mid = await announcement(tg, dup)
    await press(ana, mid, "Duplicada")
    await staff_text_until(tg, mid, "¿Duplicada de cuál?")
    await press(ana, mid, "Escribir el código")
    assert await tg.wait_until(
        lambda: any(
            "código de la iniciativa original" in (m.plain or "") for m in tg.messages_for(STAFF_CHAT)
        ),
        10,
    )
    await group_reply(ana, dup)  # itself: asked again
    assert await tg.wait_until(
        lambda: any("no puede ser la original" in (m.plain or "") for m in tg.messages_for(STAFF_CHAT)), 10
    )
    await group_reply(ana, original.lower())
    assert await tg.wait_until(
        lambda: any("¿Marcar" in (m.plain or "") for m in tg.messages_for(STAFF_CHAT)), 10
    )
    ask = [m for m in tg.messages_for(STAFF_CHAT) if "¿Marcar" in (m.plain or "")][-1]
    assert f"{original} · Alumbrado en el parque de Umacollo" in ask.plain
    assert (await ini_row(app, dup)).status == "en_revision"  # taken, not decided by typing alone
    await press(ana, ask.message_id, "Sí, duplicada")
    await staff_text_until(tg, ask.message_id, f"Duplicada → {original}")
    assert (await ini_row(app, dup)).status == "duplicada"


async def test_two_moderators_at_the_same_moment_exactly_one_wins(
    app: App, tg: FakeTelegram, resident: User, ana: User, beto: User
) -> None:
    await onboard(resident)
    async with app.session_factory() as s:
        tpl = (await templates.templates(s))[0]
    for round_ in range(3):
        code = await submit(app, resident, title=f"Iniciativa número {round_} del barrio")
        mid = await announcement(tg, code)
        ini = await ini_row(app, code)
        n_ana, n_beto = len(ana.callback_answers), len(beto.callback_answers)
        # different final actions, pushed together
        await asyncio.gather(
            ana.press_data(f"mq:new:{ini.id}:", mid, chat_id=STAFF_CHAT),
            beto.press_data(f"mq:rjs:{ini.id}:{tpl.id}", mid, chat_id=STAFF_CHAT),
        )
        a = await answered(ana, n_ana + 1)
        b = await answered(beto, n_beto + 1)
        final = await ini_row(app, code)
        assert final.status in ("aceptada", "rechazada"), (a, b)
        winner, loser = (a, b) if final.status == "aceptada" else (b, a)
        winner_name = "Ana Quispe" if final.status == "aceptada" else "Beto Mamani"
        assert "Ya la atendió" in loser["text"] and winner_name in loser["text"], loser
        assert "Ya la atendió" not in winner["text"]
        async with app.session_factory() as s:
            decisions = (
                await s.execute(
                    select(AuditEntry.action).where(
                        AuditEntry.target == code, AuditEntry.action.in_(("aceptada", "rechazada"))
                    )
                )
            ).scalars()
            assert list(decisions) == [final.status]
            projects = await s.scalar(
                select(func.count())
                .select_from(ProjectInitiative)
                .where(ProjectInitiative.initiative_id == final.id)
            )
            assert projects == (1 if final.status == "aceptada" else 0)
        await settle_outbox(app)
        decided = [m for m in tg.messages_for(resident.user_id) if code in (m.plain or "")]
        assert len(decided) == 1  # one decision reached the resident


async def test_claimed_initiative_is_not_worked_twice_and_assignment(
    app: App, tg: FakeTelegram, resident: User, ana: User, beto: User
) -> None:
    await onboard(resident)
    code = await submit(app, resident)
    mid = await announcement(tg, code)
    await press(ana, mid, "Asignar")
    await staff_text_until(tg, mid, "¿A quién se asigna?")
    await press(ana, mid, "Beto Mamani")
    await staff_text_until(tg, mid, "Beto Mamani")
    assert await tg.wait_until(
        lambda: any(
            code in (m.plain or "") and "asignaron" in (m.plain or "") for m in tg.messages_for(BETO)
        ),
        10,
    )
    # Ana may not act on Beto's initiative now; the message says who has it
    await press(ana, mid, "Rechazar")
    refusal = await answered(ana, 3)
    assert "La está revisando Beto Mamani" in refusal["text"]
    await press(beto, mid, "Asignar")
    await staff_text_until(tg, mid, "¿A quién se asigna?")
    await press(beto, mid, "Mesa de Movilidad")
    await staff_text_until(tg, mid, "Mesa de concertación: Mesa de Movilidad y transporte")
    ini = await ini_row(app, code)
    assert ini.reviewer_id == BETO and ini.assigned_mesa == "MESA-MOV"


async def test_impossible_transition_is_refused(
    app: App, tg: FakeTelegram, resident: User, ana: User
) -> None:
    await onboard(resident)
    code = await submit(app, resident)
    mid = await announcement(tg, code)
    ini = await ini_row(app, code)
    await ana.press_data(f"mq:new:{ini.id}:", mid, chat_id=STAFF_CHAT)
    await staff_text_until(tg, mid, "Aceptada")
    # a stale "Pedir información" press on an accepted initiative
    await ana.press_data(f"mq:inf:{ini.id}:", mid, chat_id=STAFF_CHAT)
    refusal = await answered(ana, 2)
    assert "Ya la atendió Ana Quispe" in refusal["text"]
    # stale reason buttons (a template, or writing one's own) are refused at once, not at Enviar
    async with app.session_factory() as s:
        tpl_id = (await templates.templates(s))[0].id
    await ana.press_data(f"mq:rjt:{ini.id}:{tpl_id}", mid, chat_id=STAFF_CHAT)
    assert "Ya la atendió Ana Quispe" in (await answered(ana, 3))["text"]
    await ana.press_data(f"mq:rjw:{ini.id}:", mid, chat_id=STAFF_CHAT)
    assert "Ya la atendió Ana Quispe" in (await answered(ana, 4))["text"]
    staff_texts = [m.plain or "" for m in tg.messages_for(STAFF_CHAT)]
    assert not any("Motivo que recibirá" in t or "escriba el motivo" in t for t in staff_texts)
    assert (await ini_row(app, code)).status == "aceptada"


async def test_hide_block_and_admin_undo(
    app: App, tg: FakeTelegram, resident: User, ana: User, admin: User
) -> None:
    neighbour = User(tg, 700_009, "Pedro")
    await onboard(resident)
    await onboard(neighbour)
    code = await submit(app, resident, title="Texto ofensivo de prueba en el barrio")
    mid = await announcement(tg, code)
    await press(ana, mid, "Ocultar")  # one tap only asks: the author is told they broke the rules
    await staff_text_until(tg, mid, "¿Ocultarla al público?")
    assert not (await ini_row(app, code)).hidden
    await press(ana, mid, "Volver")
    await tg.wait_until(lambda: "¿Ocultarla" not in (staff_message(tg, mid).get("text") or ""), 10)
    assert not (await ini_row(app, code)).hidden
    await press(ana, mid, "Ocultar")
    await staff_text_until(tg, mid, "¿Ocultarla al público?")
    await press(ana, mid, "Sí, ocultar")
    await staff_text_until(tg, mid, "Oculta al público")
    await ana.send("/cola")  # still waiting for a decision: it stays in the queue, marked
    (queue,) = await ana.replies(1)
    assert code in queue.plain and "🙈" in queue.plain
    await neighbour.send(f"/estado {code}")
    (nf,) = await neighbour.replies(1)
    assert "No encontré" in nf.plain
    (told,) = await resident.replies(1, timeout=10)
    assert "retirada de la vista pública" in told.plain
    # a moderator cannot undo; an admin can
    ini = await ini_row(app, code)
    await ana.press_data(f"mq:unh:{ini.id}:", mid, chat_id=STAFF_CHAT)
    assert REFUSAL in (await answered(ana, 5))["text"]
    assert (await ini_row(app, code)).hidden
    await press(admin, mid, "Volver a mostrar")
    assert "Vuelve a ser pública" in (await answered(admin, 1))["text"]
    assert await tg.wait_until(lambda: "Oculta al público" not in staff_message(tg, mid)["text"], 10)
    assert not (await ini_row(app, code)).hidden
    (visible,) = await resident.replies(1, timeout=10)
    assert "vuelve a ser pública" in visible.plain
    await neighbour.send(f"/estado {code}")
    (found,) = await neighbour.replies(1)
    assert code in found.plain

    await press(ana, mid, "Bloquear al autor")
    assert await tg.wait_until(
        lambda: any("motivo del bloqueo" in (m.plain or "") for m in tg.messages_for(STAFF_CHAT)), 10
    )
    await group_reply(ana, "Mensajes ofensivos repetidos")
    assert await tg.wait_until(
        lambda: any("ya no puede enviar iniciativas" in (m.plain or "") for m in tg.messages_for(STAFF_CHAT)),
        10,
    )
    (blocked,) = await resident.replies(1, timeout=10)
    assert (
        "ya no puede enviar nuevas iniciativas" in blocked.plain
        and "Mensajes ofensivos repetidos" in blocked.plain
    )
    await resident.send("/proponer")
    (no,) = await resident.replies(1)
    assert "no puede enviar nuevas iniciativas" in no.plain
    await admin.send(f"/iniciativa {code}")
    (card,) = await admin.replies(1)
    assert "bloqueada" in card.plain
    await admin.press("Desbloquear", card)
    await admin.replies(1)
    (again,) = await resident.replies(1, timeout=10)
    assert "Ya puede volver a enviar" in again.plain
    await resident.send("/proponer")
    await resident.replies(1)  # the form starts
    async with app.session_factory() as s:
        actions = [
            e.action for e in await audit.all_entries(s) if e.target in (code, f"user:{resident.user_id}")
        ]
        assert actions == ["hide", "unhide", "block", "unblock"]


async def test_supports_one_per_resident_and_withdrawable(
    app: App, tg: FakeTelegram, resident: User, ana: User, caplog: pytest.LogCaptureFixture
) -> None:
    fan = User(tg, 700_004, "Julia")
    await onboard(resident)
    await onboard(fan)
    code = await submit(app, resident)
    await resident.send(f"/estado {code}")
    (own,) = await resident.replies(1)
    assert not own.buttons()  # the author does not support their own initiative
    await fan.send(f"/estado {code}")
    (status,) = await fan.replies(1)
    assert "Apoyos de vecinos: 0" in status.plain
    data = status.buttons()[0][0][1]
    await asyncio.gather(
        fan.press_data(data, status.message_id), fan.press_data(data, status.message_id)
    )  # double tap
    await fan.settle()
    assert "Apoyos de vecinos: 1" in (tg.get_message(fan.user_id, status.message_id) or {}).get("text", "")
    assert (await ini_row(app, code)).supports == 1
    await ana.send("/cola")
    (queue,) = await ana.replies(1)
    assert code in queue.plain and "👍 1" in queue.plain
    await fan.press("Retirar mi apoyo", status)
    await fan.settle()
    assert (await ini_row(app, code)).supports == 0
    assert not [r for r in caplog.records if r.levelname == "ERROR"]  # the double tap was handled
    # once decided, residents follow the project instead: no more supports
    await accept_as_new(ana, await announcement(tg, code))
    await fan.send(f"/estado {code}")
    (decided,) = await fan.replies(1)
    assert "Aceptada" in decided.plain and not decided.buttons()
    await fan.send(f"/estado {code.lower().replace('-0000', '-')}")  # ini-2026-1 finds INI-2026-00001
    (loose,) = await fan.replies(1)
    assert code in loose.plain


async def test_queue_filters_and_pages(app: App, tg: FakeTelegram, resident: User, ana: User) -> None:
    await onboard(resident)
    codes = []
    for i in range(7):
        district = "cayma" if i % 2 == 0 else "yura"
        codes.append(
            await submit(
                app,
                resident,
                title=f"Propuesta vecinal número {i} distinta",
                district=district,
                description=f"Descripción {i} " + "de una necesidad concreta del barrio " * (i + 1),
            )
        )
    await ana.send("/ayuda")
    (help_,) = await ana.replies(1)
    assert "/cola" in help_.plain and "/invitar" not in help_.plain  # moderators: no team management
    await ana.send("/cola")
    (page1,) = await ana.replies(1)
    assert "Iniciativas pendientes: 7" in page1.plain and "Página 1 de 2" in page1.plain
    assert page1.plain.index(codes[0]) < page1.plain.index(codes[1])  # oldest first
    assert codes[5] not in page1.plain
    await ana.press("Siguiente", page1)
    (page2,) = await ana.replies(1)
    assert codes[5] in page2.plain and codes[6] in page2.plain
    await ana.press("Distrito", page2)
    (facets,) = await ana.replies(1)
    assert any("Yura (3)" == t for row in facets.buttons() for t, _ in row)
    await ana.press("Yura (3)", facets)
    (yura,) = await ana.replies(1)
    assert "Iniciativas pendientes: 3" in yura.plain and "Filtro: Yura" in yura.plain
    await ana.press("Tema", yura)
    (themes,) = await ana.replies(1)
    assert [t for row in themes.buttons() for t, _ in row][:1] == [
        "Movilidad y transporte (3)"
    ]  # within Yura
    await ana.press("Volver", themes)
    await ana.replies(1)
    assert codes[0] not in yura.plain and codes[1] in yura.plain
    await ana.press(f"1. {codes[1]}", yura)
    (card,) = await ana.replies(1)
    assert codes[1] in card.plain and "✅ Aceptar / Vincular" in [t for row in card.buttons() for t, _ in row]


async def test_initiative_and_audit_commands_and_export(
    app: App, tg: FakeTelegram, resident: User, ana: User, tmp_path: Path
) -> None:
    await onboard(resident)
    code = await submit(app, resident)
    mid = await announcement(tg, code)
    await accept_as_new(ana, mid)
    await ana.send(f"/iniciativa {code}")
    (card,) = await ana.replies(1)
    assert "Historial" in card.plain and "Ana Quispe" in card.plain and "Aceptada" in card.plain
    await ana.send(f"/auditoria {code}")
    (trail,) = await ana.replies(1)
    assert (
        "Auditoría de" in trail.plain
        and "(Recibida → En revisión)" in trail.plain
        and "Ana Quispe" in trail.plain
    )
    await ana.send("/iniciativa INI-2026-99999")
    (nf,) = await ana.replies(1)
    assert "No encontré la iniciativa «INI-2026-99999»" in nf.plain
    await ana.send("/iniciativa")
    (ask,) = await ana.replies(1)
    assert "Escriba el código después del comando" in ask.plain
    out = tmp_path / "audit.csv"
    async with app.session_factory() as s:
        assert await audit.export_file(s, out) >= 2
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig")))
    decided = [r for r in rows if r["objeto"] == code and r["accion"] == "aceptada"]
    assert decided and decided[0]["actor_id"] == str(ANA) and decided[0]["antes"] == "en_revision"


async def test_residents_and_forged_buttons_are_refused(app: App, tg: FakeTelegram, resident: User) -> None:
    await onboard(resident)
    code = await submit(app, resident)
    mid = await announcement(tg, code)
    ini = await ini_row(app, code)
    before = len(resident.callback_answers)
    for command in ("/cola", f"/iniciativa {code}", f"/auditoria {code}", "/plantillas"):
        await resident.send(command)
        (reply,) = await resident.replies(1)
        assert reply.plain == REFUSAL, command
    # a crafted callback pressed from the resident's own chat, and one on the staff message
    await resident.press_data(f"mq:new:{ini.id}:", 1)
    await resident.press_data(f"mq:hid:{ini.id}:", mid, chat_id=STAFF_CHAT)
    await resident.press_data("mc:page:0:-1:-1", 1)
    assert await tg.wait_until(lambda: len(resident.callback_answers) >= before + 3, 5)
    assert all(a.get("text") == REFUSAL for a in resident.callback_answers[before:])
    after = await ini_row(app, code)
    assert after.status == "recibida" and not after.hidden and after.version == ini.version
    async with app.session_factory() as s:
        assert (
            await s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.target == code)) == 0
        )


async def test_role_removed_mid_flow_is_refused(
    app: App, tg: FakeTelegram, resident: User, ana: User
) -> None:
    await onboard(resident)
    code = await submit(app, resident)
    mid = await announcement(tg, code)
    await press(ana, mid, "Rechazar")
    await staff_text_until(tg, mid, "¿Por qué no se admite?")
    async with app.session_factory() as s, s.begin():
        assert await staff.remove(s, ANA, ADMIN)
    await press(ana, mid, "Falta detalle")
    assert REFUSAL in (await answered(ana, 2))["text"]
    assert (await ini_row(app, code)).status == "en_revision"


async def test_resident_hears_the_outcome_in_their_language(app: App, tg: FakeTelegram, ana: User) -> None:
    from peam_bot.storage.models import User as Resident

    john = User(tg, 700_020, "John", language_code="es")  # onboarded in Spanish, then /idioma English
    await onboard(john)
    async with app.session_factory() as s, s.begin():
        (await s.get(Resident, john.user_id)).locale = "en"  # type: ignore[union-attr]
    code = await submit(app, john)
    mid = await announcement(tg, code)
    await reject_with_template(ana, mid, "Falta detalle")
    (news,) = await john.replies(1, timeout=10)
    assert code in news.plain and "Reason:" in news.plain and "Motivo" not in news.plain
    assert "/propose" in news.plain


async def test_two_acceptances_at_once_get_different_project_codes(app: App, resident: User) -> None:
    from peam_bot.services.moderation import decisions, workflow

    await onboard(resident)
    codes = [await submit(app, resident, title=f"Propuesta simultánea {i} del barrio") for i in range(2)]

    async def accept(code: str, actor: int) -> str:
        async with app.session_factory() as s, s.begin():
            ini = await workflow.by_code(s, code)
            assert ini is not None
            project = await decisions.accept_as_new_project(s, ini, actor, "moderador")
            return project.code

    made = await asyncio.gather(accept(codes[0], ANA), accept(codes[1], BETO))
    assert len(set(made)) == 2
    async with app.session_factory() as s:
        assert await s.scalar(select(func.count()).select_from(Project).where(Project.code.in_(made))) == 2


async def test_the_audit_trail_is_append_only(app: App) -> None:
    async with app.session_factory() as s, s.begin():
        audit.record(s, ADMIN, "hide", "INI-2026-00001", "visible", "oculta")
    async with app.session_factory() as s:
        entry = (await s.execute(select(AuditEntry).where(AuditEntry.action == "hide"))).scalar_one()
        entry_id = entry.id
        entry.reason = "edited afterwards"
        with pytest.raises(PermissionError):
            await s.flush()
        await s.rollback()
        await s.delete(await s.get(AuditEntry, entry_id))
        with pytest.raises(PermissionError):
            await s.flush()
