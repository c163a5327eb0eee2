"""Attendance, end to end: the organizer's check-in screen shows a QR that a resident's camera turns
into `/start ci_…`; registered residents are marked present, walk-ins added (a newcomer after
onboarding), an expired or repeated scan changes nothing; ticket codes typed by the organizer; the
screen's count is edited in place."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import select

from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram
from peam_bot.services import checkin, events, staff
from peam_bot.services.formatting import DEFAULT_TZ
from peam_bot.storage.event_models import Event, Registration
from peam_bot.storage.models import User as Resident
from peam_bot.storage.models import utcnow
from peam_bot.telegram.app import App
from tests.conftest import TOKEN, StartApp, onboard
from tests.test_events import add_event

ADMIN, OLGA = 964_000, 964_001


@pytest.fixture
async def app(start_app: StartApp) -> App:
    app = await start_app(admin_ids=[ADMIN])
    async with app.session_factory() as s, s.begin():
        await staff.add(s, OLGA, "organizador", ADMIN, "Olga Ccama")
    return app


def qr_text(tg: FakeTelegram, photo_id: str | None) -> str:
    assert photo_id is not None
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(tg.files[photo_id].data)))
    return found.text


async def registered(app: App, user_id: int, name: str) -> str:
    async with app.session_factory() as s, s.begin():
        event = (await s.execute(select(Event))).scalar_one()
        resident = await s.get(Resident, user_id)
        assert resident is not None
        return (await events.register(s, event, resident, name)).registration.ticket


async def said(tg: FakeTelegram, user: User, text: str) -> str:
    """The first message to `user` since now that contains `text` (edits of other messages pass by)."""
    start = len(user.history)
    assert await tg.wait_until(lambda: any(text in (m.plain or "") for m in user.history[start:]), timeout=10)
    return next(m.plain for m in user.history[start:] if text in (m.plain or ""))  # type: ignore[return-value]


async def attendance(app: App) -> dict[str, str | None]:
    async with app.session_factory() as s:
        rows = await s.execute(select(Registration.attendee_name, Registration.checkin_method))
        return dict(rows.all())


async def test_scan_walk_in_and_ticket_codes(tg: FakeTelegram, app: App) -> None:
    now = utcnow()
    await add_event(app, starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(hours=2),
                    registration_deadline=now + timedelta(hours=1))  # fmt: skip
    rosa, juan = User(tg, 964_101, "Rosa Quispe", "es"), User(tg, 964_102, "Juan Apaza", "es")
    for who in (rosa, juan):
        await onboard(who)
    await registered(app, rosa.user_id, "Rosa Quispe")
    juan_ticket = await registered(app, juan.user_id, "Juan Apaza")

    olga = User(tg, OLGA, "Olga", "es")
    await olga.send("/evento EV-0001")
    card = await olga.reply()
    assert "Inscritos: 2 · Presentes: 0" in card.plain
    await olga.press("📷 Pantalla de check-in (QR)", card)
    screen = await olga.reply()
    link = qr_text(tg, screen.photo)
    match = re.fullmatch(r"https://t\.me/peam_test_bot\?start=(ci_EV-0001_[a-z0-9]{8})", link)
    assert match is not None
    payload = match.group(1)

    # Rosa scans: present, and the screen's count goes up (edited in place, not sent again)
    await rosa.send(f"/start {payload}")
    assert "Registré su asistencia" in (await rosa.reply()).plain
    assert await tg.wait_until(
        lambda: any(m.method == "editMessageCaption" and "Presentes: 1" in (m.plain or "")
                    for m in tg.sent if m.chat_id == OLGA and m.message_id == screen.message_id),
        timeout=10,
    )  # fmt: skip
    await rosa.send(f"/start {payload}")  # a second scan
    assert "ya estaba registrada" in (await rosa.reply()).plain

    # an old QR (two rotations ago) does nothing
    secret = checkin.secret_from(TOKEN)
    old = checkin.token(secret, "EV-0001", checkin.window_of(utcnow()) - 2)
    await juan.send(f"/start ci_EV-0001_{old}")
    assert "ya venció" in (await juan.reply()).plain

    # a newcomer scans at the door: onboarding first, then checked in as a walk-in
    pedro = User(tg, 964_103, "Pedro Huamán", "es")
    await pedro.send(f"/start {payload}")
    await pedro.replies(2)
    await pedro.press("Acepto")
    await pedro.replies(2)
    await pedro.press("Cayma")
    await pedro.settle()
    assert any("sin inscripción previa" in (m.plain or "") for m in pedro.history)

    # the organizer types Juan's ticket (and a wrong one) in one message
    await olga.press("⌨️ Registrar entradas por código", screen)
    await said(tg, olga, "Escriba o pegue los códigos")
    await olga.send(f"{juan_ticket.lower()} y también XXXXXX")
    answer = await said(tg, olga, "no es una entrada")
    assert f"✅ {juan_ticket} presente · Juan Apaza" in answer
    assert "❔ XXXXXX no es una entrada de este evento" in answer
    await olga.send(juan_ticket)
    await said(tg, olga, "ya estaba presente")
    assert await attendance(app) == {"Rosa Quispe": "qr", "Juan Apaza": "ticket", "Pedro Huamán": "walk_in"}

    # the attendance list, from the card: the file in the chat, parsed
    await olga.send("/evento EV-0001")
    assert "Presentes: 3" in await said(tg, olga, "Estado:")
    card = next(m for m in reversed(olga.history) if "Estado:" in (m.plain or ""))
    await olga.press("📋 Lista de asistentes (CSV)", card)
    sent = await said(tg, olga, "Lista de asistentes de")
    assert "Presentes: 3" in sent
    doc = olga.last().document
    assert doc is not None and doc["file_name"].endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(doc["data"].decode("utf-8-sig"))))
    assert sorted(r[next(k for k in r if "nombre" in k.lower())] for r in rows) == ["Juan Apaza", "Pedro Huamán", "Rosa Quispe"]

    # a resident cannot open the organizer's screen, nor forge its buttons
    await rosa.send("/evento EV-0001")
    await said(tg, rosa, "Esta opción no está disponible.")


async def test_check_in_is_refused_outside_its_window(tg: FakeTelegram, app: App) -> None:
    now = utcnow()
    await add_event(app, starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=1, hours=2), walk_ins=False)
    rosa = User(tg, 964_201, "Rosa", "es")
    await onboard(rosa)
    secret = checkin.secret_from(TOKEN)
    await rosa.send(f"/start {checkin.payload(secret, 'EV-0001')}")
    assert "no está abierto ahora" in (await rosa.reply()).plain
    olga = User(tg, OLGA, "Olga", "es")
    await olga.send("/evento EV-0001")
    card = await olga.reply()
    await olga.press("📷 Pantalla de check-in (QR)", card)
    await olga.settle()
    assert "El check-in abre 30 minutos antes del inicio" in olga.callback_answers[-1]["text"]
    assert await attendance(app) == {}


async def test_the_organizer_cancels_and_registrants_are_told(tg: FakeTelegram, app: App) -> None:
    now = utcnow()
    await add_event(app, starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=2, hours=2))
    rosa = User(tg, 964_301, "Rosa", "es")
    await onboard(rosa)
    await registered(app, rosa.user_id, "Rosa")
    olga = User(tg, OLGA, "Olga", "es")
    await olga.send("/evento EV-0001")
    card = await olga.reply()
    await olga.press("❌ Cancelar el evento", card)
    confirm = await olga.reply()
    assert "Se avisará a 1 personas" in confirm.plain
    await olga.press("Sí, cancelar el evento", confirm)
    assert "Cancelé" in (await olga.reply()).plain
    told = await rosa.reply(timeout=10)
    assert "cancel" in told.plain.lower() and "Taller de movilidad en Cayma" in told.plain
    await rosa.send("/mis_inscripciones")
    assert "evento cancelado" in (await rosa.reply()).plain


async def test_the_organizer_reschedules_and_registrants_are_told(tg: FakeTelegram, app: App) -> None:
    now = utcnow()
    await add_event(app, starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=2, hours=2))
    rosa = User(tg, 964_401, "Rosa", "es")
    await onboard(rosa)
    await registered(app, rosa.user_id, "Rosa")
    olga = User(tg, OLGA, "Olga", "es")
    await olga.send("/evento EV-0001")
    await olga.press("🔁 Reprogramar", await olga.reply())
    assert "nueva fecha y hora de inicio" in (await olga.reply()).plain
    await olga.send("ayer")
    assert "Nuevo inicio" not in (await olga.reply()).plain  # not a usable date: asked again
    day = (now + timedelta(days=9)).astimezone(DEFAULT_TZ)
    await olga.send(day.strftime("%d/%m/%Y") + " 16:00")
    assert "Nuevo inicio" in (await olga.reply()).plain
    await olga.send("18:30")
    confirm = await olga.reply()
    assert "Se avisará a 1 personas" in confirm.plain
    await olga.press("Sí, reprogramar", confirm)
    assert "Reprogramé" in (await olga.reply()).plain
    told = await rosa.reply(timeout=10)
    assert "16:00" in told.plain and "18:30" in told.plain
    async with app.session_factory() as s:
        event = (await s.execute(select(Event))).scalar_one()
        assert event.status == "reprogramado"
        assert event.starts_at.astimezone(DEFAULT_TZ).strftime("%d/%m %H:%M") == day.strftime("%d/%m") + " 16:00"
