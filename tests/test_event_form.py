"""The staff event form, end to end through the emulator: an organizador creates an event through
every step (a bad date, a date in the past, a title too short, a photo where text is expected, an end
before the start, Omitir, a restart in the middle), /editar_evento changes the title and capacity,
and start/end of an event with registrations are refused. Also the date parsing on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram
from peam_bot.services import event_drafts, events, staff
from peam_bot.services.formatting import DEFAULT_TZ
from peam_bot.services.initiatives import InvalidInput
from peam_bot.storage.event_models import Event
from peam_bot.storage.models import AuditEntry, utcnow
from peam_bot.storage.models import User as Resident
from peam_bot.telegram.app import App
from tests.conftest import StartApp, onboard

ADMIN, OLGA = 963_000, 963_001
REFUSAL = "Esta opción no está disponible."


@pytest.fixture
async def app(start_app: StartApp) -> App:
    app = await start_app(admin_ids=[ADMIN])
    async with app.session_factory() as s, s.begin():
        await staff.add(s, OLGA, "organizador", ADMIN, "Olga Condori")
    return app


@pytest.fixture
def olga(tg: FakeTelegram, app: App) -> User:
    return User(tg, OLGA, "Olga Condori")


def in_a_month() -> tuple[str, datetime]:
    """A start typed as dd/mm/yyyy 9:00 (Lima) a month from now, and that moment in UTC."""
    day = (utcnow().astimezone(DEFAULT_TZ) + timedelta(days=30)).date()
    return f"{day.day}/{day.month}/{day.year} 9:00", datetime(day.year, day.month, day.day, 14, 0, tzinfo=UTC)


async def answer(user: User, text: str) -> str:
    await user.send(text)
    return (await user.reply()).plain or ""


async def press(user: User, label: str) -> str:
    await user.press(label)
    return (await user.reply()).plain or ""


async def test_an_organizer_creates_an_event_step_by_step(
    tg: FakeTelegram, app: App, start_app: StartApp, olga: User
) -> None:
    assert "tipo de evento" in await answer(olga, "/nuevo_evento")
    assert "título" in await press(olga, "Taller")
    assert "muy poco texto" in await answer(olga, "Hola")
    await olga.send_photo()
    assert "Recibí una foto" in (await olga.reply()).plain
    assert "descripción" in await answer(olga, "Taller de movilidad en Cayma")
    assert "distrito" in await press(olga, "Omitir")
    assert "eje del Plan" in await press(olga, "Cayma")

    await app.close()  # a restart in the middle: the draft is in the FSM storage
    app = await start_app(admin_ids=[ADMIN])

    assert "nombre del lugar" in await press(olga, "Movilidad y transporte")
    assert "dirección" in await answer(olga, "Auditorio de la Municipalidad de Cayma")
    assert "punto en el mapa" in await answer(olga, "Plaza de Cayma s/n")
    await olga.send_location(-16.3617, -71.5486)
    assert "empieza" in (await olga.reply()).plain
    assert "No reconocí esa fecha" in await answer(olga, "31/02/2027 9:00")
    assert "ya pasaron" in await answer(olga, "1/1/2024 9:00")
    typed, start = in_a_month()
    reply = await answer(olga, typed)
    assert "Inicio:" in reply and "9:00 ✅" in reply and "termina" in reply
    assert "después del inicio" in await answer(olga, "8:00")
    assert "cupos" in await answer(olga, "12:00")
    assert "número de cupos" in await answer(olga, "muchos")
    assert "inscripciones" in await answer(olga, "30")
    assert "sin inscripción" in await press(olga, "Omitir")
    assert "organiza" in await press(olga, "No")
    await olga.send("/cola")  # a command in the middle: answered (or reminded), the form stays
    await olga.settle()
    review = await press(olga, "Olga Condori")
    for expected in (
        "Revise el evento", "Tipo: Taller", "Título: Taller de movilidad en Cayma", "Descripción: —",
        "Distrito: Cayma", "Eje: Movilidad y transporte", "Lugar: Auditorio de la Municipalidad de Cayma",
        "Dirección: Plaza de Cayma s/n", "Mapa: punto guardado", "Cupos: 30", "Inscripciones: hasta el inicio",
        "Sin inscripción: no se recibe", "Organiza: Olga Condori", "9:00", "Fin: 12:00, el mismo día",
    ):  # fmt: skip
        assert expected in review, expected

    await olga.press("Crear evento")
    done = next(m for m in await olga.settle() if "Evento creado" in (m.plain or ""))
    assert "EV-0001" in done.plain and "https://t.me/peam_test_bot?start=evento_EV-0001" in done.plain
    async with app.session_factory() as s:
        event = (await s.execute(select(Event))).scalar_one()
        assert (event.code, event.kind, event.title, event.district, event.axis) == (
            "EV-0001", "taller", "Taller de movilidad en Cayma", "cayma", "movilidad",
        )  # fmt: skip
        assert event.starts_at == start and event.ends_at == start + timedelta(hours=3)
        assert (event.capacity, event.registration_deadline, event.walk_ins) == (30, None, False)
        assert (event.organizer, event.organizer_id, event.status) == ("Olga Condori", OLGA, "programado")
        assert (event.latitude, event.longitude, event.description) == (-16.3617, -71.5486, "")
        entries = (await s.execute(select(AuditEntry).where(AuditEntry.target == "EV-0001"))).scalars().all()
        assert [(e.action, e.actor_id) for e in entries] == [("event_create", OLGA)]

    # the deep link opens the card for a resident
    rosa = User(tg, 963_101, "Rosa")
    await onboard(rosa)
    await rosa.send("/start evento_EV-0001")
    assert any("Taller de movilidad en Cayma" in (m.plain or "") for m in await rosa.settle())


async def add_event(app: App, **values: object) -> None:
    start = utcnow() + timedelta(days=10)
    async with app.session_factory() as s, s.begin():
        draft = event_drafts.EventDraft(
            kind="taller", title="Taller de movilidad en Cayma", district="cayma", venue="Municipalidad",
            starts_at=start, ends_at=start + timedelta(hours=2), capacity=30, organizer="AQPlan",
        )  # fmt: skip
        for k, v in values.items():
            setattr(draft, k, v)
        await event_drafts.create_event(s, draft, ADMIN)


async def test_editing_an_event_changes_its_title_and_capacity(
    tg: FakeTelegram, app: App, olga: User
) -> None:
    await add_event(app)
    assert "Revise los cambios de EV-0001" in await answer(olga, "/editar_evento ev-0001")
    assert "Ahora dice: «Taller de movilidad en Cayma»" in await press(olga, "Título")
    review = await answer(olga, "Taller de movilidad y tránsito en Cayma")
    assert "Título: Taller de movilidad y tránsito en Cayma" in review
    assert "cupos" in await press(olga, "Cupos")
    assert "Cupos: 45" in await answer(olga, "45")
    await olga.press("Guardar cambios")
    saved = next(m for m in await olga.settle() if "Cambios guardados" in (m.plain or ""))
    assert "título, cupos" in saved.plain
    async with app.session_factory() as s:
        event = await events.by_code(s, "EV-0001")
        assert event is not None and (event.title, event.capacity) == (
            "Taller de movilidad y tránsito en Cayma",
            45,
        )
        entry = (await s.execute(select(AuditEntry).where(AuditEntry.action == "event_edit"))).scalar_one()
        assert (
            entry.actor_id == OLGA
            and "capacity=30" in (entry.before or "")
            and "capacity=45" in (entry.after or "")
        )

    # with someone registered, the start and end are Reprogramar's, not this form's
    rosa = User(tg, 963_102, "Rosa")
    await onboard(rosa)
    async with app.session_factory() as s, s.begin():
        event = await events.by_code(s, "EV-0001")
        resident = await s.get(Resident, rosa.user_id)
        assert event is not None and resident is not None
        await events.register(s, event, resident, "Rosa Quispe")
    assert "Ya hay 1 persona inscrita o en espera" in await answer(olga, "/editar_evento EV-0001")
    await olga.press("Inicio")
    assert await tg.wait_until(lambda: "Reprogramar" in str(olga.callback_answers[-1:]), 5)
    async with app.session_factory() as s:
        event = await events.by_code(s, "EV-0001")
        assert event is not None
        draft = event_drafts.EventDraft.of(event)
        draft.starts_at = event.starts_at + timedelta(days=1)
        draft.ends_at = event.ends_at + timedelta(days=1)
        with pytest.raises(event_drafts.EventEditRefused):
            await event_drafts.update_event(s, event, draft, OLGA)


async def test_a_resident_is_refused(app: App, resident: User) -> None:
    await onboard(resident)
    assert await answer(resident, "/nuevo_evento") == REFUSAL
    assert await answer(resident, "/editar_evento EV-0001") == REFUSAL


def test_dates_typed_in_spanish() -> None:
    now = datetime(2026, 12, 4, 22, 48, tzinfo=UTC)  # viernes 4 de diciembre, 17:48 en Lima
    nine = datetime(2026, 12, 12, 14, 0, tzinfo=UTC)  # sábado 12 de diciembre, 9:00 en Lima
    for typed in (
        "12/12/2026 9:00",
        "12/12 9am",
        "sábado 12 de diciembre 9:00",
        "12 dic. a las 9 de la mañana",
    ):
        assert event_drafts.parse_start(typed, now) == nine, typed
    assert event_drafts.parse_start("mañana 15:30", now) == datetime(2026, 12, 5, 20, 30, tzinfo=UTC)
    assert event_drafts.parse_start("5/1 7 pm", now) == datetime(2027, 1, 6, 0, 0, tzinfo=UTC)  # next January
    assert event_drafts.parse_end("12:00", nine) == nine + timedelta(hours=3)
    assert event_drafts.parse_end("13/12 12:00", nine) == nine + timedelta(hours=27)
    for typed, reason in (
        ("4/12 9:00", "past"), ("1/1/2024 9:00", "past"), ("31/02 9:00", "bad_date"), ("12/12", "no_time"),
        ("12/12 25:00", "bad_time"), ("viernes 12 de diciembre 9:00", "weekday"), ("12/12/2031 9:00", "too_far"),
    ):  # fmt: skip
        with pytest.raises(InvalidInput) as caught:
            event_drafts.parse_start(typed, now)
        assert caught.value.reason == reason, typed
    with pytest.raises(InvalidInput, match="end_before_start"):
        event_drafts.parse_end("8:00", nine)
    with pytest.raises(InvalidInput, match="after_start"):
        event_drafts.parse_deadline("13/12 9:00", nine, now)
    assert event_drafts.parse_deadline("10/12 18:00", nine, now) == datetime(2026, 12, 10, 23, 0, tzinfo=UTC)
    assert [event_drafts.parse_capacity(t) for t in ("30", "Sin límite", "1.000", "40 cupos")] == [
        30,
        None,
        1000,
        40,
    ]
