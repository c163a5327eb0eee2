"""Mesas de concertación as standing bodies: listed with /mesas, joined and left from their card,
members convened to each new session through the outbox, a poster's deep link."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram
from peam_bot.services import mesas
from peam_bot.storage.event_models import Event, Mesa
from peam_bot.storage.models import utcnow
from peam_bot.telegram.app import App
from tests.conftest import onboard
from tests.test_events import add_event


async def new_session(app: App, code: str, title: str) -> int:
    start = utcnow() + timedelta(days=3)
    async with app.session_factory() as s:
        mesa = (await s.execute(select(Mesa).where(Mesa.code == "MESA-MOV"))).scalar_one()
    await add_event(app, code, kind="mesa", mesa_id=mesa.id, title=title, starts_at=start, ends_at=start + timedelta(hours=2))
    async with app.session_factory() as s, s.begin():
        event = (await s.execute(select(Event).where(Event.code == code))).scalar_one()
        return await mesas.convene(s, event)


async def test_join_be_convened_leave(tg: FakeTelegram, app: App) -> None:
    rosa = User(tg, 965_001, "Rosa Quispe", "es")
    await onboard(rosa)
    await rosa.send("/mesas")
    listing = await rosa.reply()
    assert "Mesa de Movilidad y transporte" in listing.plain and listing.plain.count("•") == 7
    await rosa.press("Mesa de Movilidad y transporte")
    card = await rosa.reply()
    assert "0 participantes" in card.plain
    await rosa.press("🤝 Unirme a la mesa", card)
    joined = await rosa.reply()
    assert "1 participantes" in joined.plain and "Usted participa" in joined.plain
    assert "Listo: participa en Mesa de Movilidad" in rosa.callback_answers[-1]["text"]

    assert await new_session(app, "EV-0001", "Sesión ordinaria de diciembre") == 1
    convocation = await rosa.reply(timeout=10)
    assert "Convocatoria · Mesa de Movilidad y transporte" in convocation.plain
    await rosa.press("Ver la sesión", convocation)
    session_card = await rosa.reply()
    assert "Sesión ordinaria de diciembre" in session_card.plain and "✅ Inscribirme" in str(session_card.buttons())

    await rosa.send("/mesas")
    await rosa.reply()
    await rosa.press("Mesa de Movilidad y transporte")
    await rosa.press("Dejar la mesa", await rosa.reply())
    assert "0 participantes" in (await rosa.reply()).plain
    assert await new_session(app, "EV-0002", "Sesión de enero") == 0


async def test_deep_link_to_a_mesa_after_onboarding(tg: FakeTelegram, app: App) -> None:
    pedro = User(tg, 965_010, "Pedro", "es")
    await pedro.send("/start mesa_MESA-AMB")
    await pedro.replies(2)
    await pedro.press("Acepto")
    await pedro.replies(2)
    await pedro.press("Yura")
    *_rest, card = await pedro.replies(3)
    assert "Mesa de Medio ambiente y gestión de riesgos" in card.plain
