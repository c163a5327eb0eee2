"""Events for residents, end to end through the emulator: /talleres, the card, Inscribirme (name asked
once, organization remembered), the waiting list and its promotion, /mis_inscripciones with a ticket
whose QR decodes to its code and an .ics with the right times, and capacity under concurrent presses."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import zxingcpp
from icalendar import Calendar
from PIL import Image
from sqlalchemy import select

from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram
from peam_bot.services import events
from peam_bot.services.events import EventError
from peam_bot.storage.event_models import Event, Registration
from peam_bot.storage.models import User as Resident
from peam_bot.storage.models import utcnow
from peam_bot.telegram.app import App
from tests.conftest import onboard

# sábado 12 de diciembre de 2026, 9:00 a 12:00 en Lima (UTC-5)
START = datetime(2026, 12, 12, 14, 0, tzinfo=UTC)


async def add_event(app: App, code: str = "EV-0001", **values: Any) -> Event:
    fields: dict[str, Any] = dict(
        code=code, kind="taller", title="Taller de movilidad en Cayma", venue="Municipalidad de Cayma",
        address="Plaza de Cayma s/n", latitude=-16.3617, longitude=-71.5486, district="cayma",
        axis="movilidad", starts_at=START, ends_at=START + timedelta(hours=3), capacity=30,
        organizer="AQPlan", walk_ins=True, status="programado", registered=0, description="",
    )  # fmt: skip
    fields.update(values)
    async with app.session_factory() as s, s.begin():
        event = Event(**fields)
        s.add(event)
    return event


async def registrations(app: App, code: str) -> list[tuple[int, str]]:
    async with app.session_factory() as s:
        rows = await s.execute(
            select(Registration.user_id, Registration.status)
            .join(Event, Event.id == Registration.event_id)
            .where(Event.code == code)
            .order_by(Registration.id)
        )
        return [(u, st) for u, st in rows.all()]


async def open_card(user: User, code: str = "EV-0001") -> None:
    await user.send("/talleres")
    listing = await user.reply()
    assert code in str(listing.buttons())
    await user.press(next(t for row in listing.buttons() for t, _d in row if t.startswith(code)))
    await user.reply()


async def test_a_resident_registers_in_a_few_taps_and_gets_a_ticket(tg: FakeTelegram, app: App) -> None:
    await add_event(app)
    rosa = User(tg, 962_001, "Rosa Quispe", "es")
    await onboard(rosa)
    await rosa.send("/talleres")
    listing = await rosa.reply()
    assert "Taller de movilidad en Cayma" in listing.plain and "sábado 12 de diciembre, 9:00 a 12:00" in listing.plain
    await rosa.press("EV-0001 · Taller de movilidad en Cayma")
    card = await rosa.reply()
    assert "Quedan 30 de 30 cupos" in card.plain and "Plaza de Cayma" in card.plain

    await rosa.press("🗺 Ver el lugar en el mapa")
    venue = await rosa.reply()
    assert venue.method == "sendVenue" and venue.location == (-16.3617, -71.5486)

    await rosa.press("✅ Inscribirme", card)
    ask = await rosa.reply()
    assert "lista de asistentes" in ask.plain
    await rosa.send_photo()  # not a name: asked again, nothing lost
    assert "escríbalo en un mensaje de texto" in (await rosa.reply()).plain
    await rosa.press("Usar «Rosa Quispe»", ask)
    org = await rosa.reply()
    await rosa.press("🏢 Por una organización", org)
    await rosa.reply()
    await rosa.send("Junta Vecinal <b>Villa</b> Continental")
    kind = await rosa.reply()
    await rosa.press("🏘 Territorial (junta vecinal, asociación de vivienda…)", kind)
    done = await rosa.reply()
    assert "está inscrito(a) en" in done.plain
    async with app.session_factory() as s:
        reg = (await s.execute(select(Registration))).scalar_one()
        assert (reg.attendee_name, reg.organization, reg.organization_type, reg.status) == (
            "Rosa Quispe", "Junta Vecinal <b>Villa</b> Continental", "territorial", "inscrito",
        )  # fmt: skip
        assert reg.ticket in done.plain

    # the ticket: a QR of its code and the event in the phone's calendar
    await rosa.press("🎟 Ver mi entrada", done)
    photo, ics = await rosa.replies(2)
    image = Image.open(io.BytesIO(tg.files[photo.photo].data))  # type: ignore[index]
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [reg.ticket]
    cal = Calendar.from_ical(ics.document["data"])  # type: ignore[index]
    (item,) = cal.walk("VEVENT")
    assert item.decoded("dtstart") == START and item.decoded("dtend") == START + timedelta(hours=3)
    assert "Plaza de Cayma" in str(item["location"])

    # a second event: the name and the organization are offered, one tap each
    await add_event(app, "EV-0002", title="Presentación pública del PEAM", kind="presentacion")
    await open_card(rosa, "EV-0002")
    second_card = rosa.last()
    await rosa.press("✅ Inscribirme", second_card)
    offer = await rosa.reply()
    await rosa.press("🏢 Por «Junta Vecinal <b>Villa</b> Continental»", offer)
    assert "está inscrito(a) en <b>Presentación pública" in (await rosa.reply()).text  # type: ignore[operator]
    # pressing again on the old card registers nothing twice
    await rosa.press("✅ Inscribirme", second_card)
    await rosa.press("🏢 Por «Junta Vecinal <b>Villa</b> Continental»", await rosa.reply())
    assert "Ya estaba inscrito(a)" in (await rosa.reply()).plain
    assert [st for _u, st in await registrations(app, "EV-0002")] == ["inscrito"]

    await rosa.send("/mis_inscripciones")
    mine = await rosa.reply()
    assert "Taller de movilidad" in mine.plain and "Presentación pública" in mine.plain and reg.ticket in mine.plain


async def test_full_event_waiting_list_and_promotion(tg: FakeTelegram, app: App) -> None:
    await add_event(app, capacity=1)
    ana, beto = User(tg, 962_011, "Ana Flores", "es"), User(tg, 962_012, "Beto Mamani", "en")
    await onboard(ana)
    await beto.send("/start")
    await beto.replies(2)
    await beto.press("I agree")
    await beto.replies(2)
    await beto.press("Cayma")
    await beto.replies(2)
    for who in (ana, beto):
        await open_card(who)
        await who.press("✅ Inscribirme" if who is ana else "📝 Join the waiting list")
        ask = await who.reply()
        await who.press(ask.buttons()[0][0][0], ask)  # the Telegram name
        org = await who.reply()
        await who.press(org.buttons()[0][0][0], org)  # personal
        await who.reply()
    assert "puesto 1" in beto.last().plain or "position 1" in beto.last().plain
    assert [st for _u, st in await registrations(app, "EV-0001")] == ["inscrito", "espera"]

    await ana.send("/mis_inscripciones")
    await ana.reply()
    await ana.press("🎟 EV-0001 · Taller de movilidad en Cayma")
    await ana.replies(2)
    await ana.press("❌ Cancelar inscripción")
    confirm = await ana.reply()
    yes = confirm.buttons()[0][0][1]
    await ana.press("Sí, cancelar", confirm)
    assert "Cancelé su inscripción" in (await ana.reply()).plain
    promoted = await beto.reply(timeout=10)  # through the outbox, in his language
    assert "A seat became free" in promoted.plain
    assert [st for _u, st in await registrations(app, "EV-0001")] == ["cancelado", "inscrito"]
    await ana.press_data(yes, confirm.message_id)  # a second tap on the old button changes nothing
    await ana.settle()
    assert ana.callback_answers[-1]["text"] == "Esa inscripción ya estaba cancelada."
    assert [st for _u, st in await registrations(app, "EV-0001")] == ["cancelado", "inscrito"]


async def test_closed_past_and_cancelled_events_refuse(tg: FakeTelegram, app: App) -> None:
    now = utcnow()
    await add_event(app, "EV-0001", registration_deadline=now + timedelta(seconds=2), starts_at=now + timedelta(days=1),
                    ends_at=now + timedelta(days=1, hours=2))  # fmt: skip
    rosa = User(tg, 962_021, "Rosa", "es")
    await onboard(rosa)
    await open_card(rosa)
    await asyncio.sleep(2.1)  # the deadline passes while the card is open
    await rosa.press("✅ Inscribirme")
    await rosa.settle()
    assert rosa.callback_answers[-1]["text"] == "Las inscripciones para este evento ya cerraron."
    async with app.session_factory() as s, s.begin():
        event = (await s.execute(select(Event))).scalar_one()
        event.status = "cancelado"
        resident = await s.get(Resident, 962_021)
        for reason, change in (("cancelled", {}), ("past", {"status": "realizado"})):
            for k, v in change.items():
                setattr(event, k, v)
            try:
                await events.register(s, event, resident, "Rosa")  # type: ignore[arg-type]
            except EventError as exc:
                assert exc.reason == reason
            else:
                raise AssertionError("registered")


async def test_capacity_holds_when_many_press_at_once(app: App) -> None:
    await add_event(app, capacity=5)
    async with app.session_factory() as s, s.begin():
        for i in range(30):
            s.add(Resident(id=963_000 + i, locale="es", consent_at=utcnow(), consent_version="v"))

    async def press(i: int) -> str:
        async with app.session_factory() as s:
            event = (await s.execute(select(Event))).scalar_one()
            resident = await s.get(Resident, 963_000 + i)
            outcome = await events.register(s, event, resident, f"Vecino {i}")  # type: ignore[arg-type]
            await s.commit()
            return "seat" if outcome.seat else "wait"

    got = await asyncio.gather(*(press(i) for i in range(30)))
    assert got.count("seat") == 5
    rows = await registrations(app, "EV-0001")
    assert [st for _u, st in rows].count("inscrito") == 5 and len(rows) == 30
    async with app.session_factory() as s:
        assert (await s.execute(select(Event.registered))).scalar_one() == 5


async def test_inscribirme_in_the_middle_of_a_form_keeps_the_draft(tg: FakeTelegram, app: App) -> None:
    await add_event(app)
    rosa = User(tg, 962_031, "Rosa", "es")
    await onboard(rosa)
    await open_card(rosa)
    card = rosa.last()
    await rosa.send("/proponer")
    await rosa.reply()
    await rosa.send("Semáforo en la Av. Ejército con Cayma")
    step2 = await rosa.reply()
    assert "Paso 2 de 7" in step2.plain
    await rosa.press("✅ Inscribirme", card)  # the old card, pressed mid-form
    await rosa.settle()
    assert "Siga con el paso actual" in rosa.callback_answers[-1]["text"]  # the form answers it
    await rosa.send("Los niños cruzan sin semáforo a la salida del colegio y ya hubo accidentes.")
    assert "Paso 3 de 7" in (await rosa.reply()).plain  # the draft went on where it was
    assert await registrations(app, "EV-0001") == []
