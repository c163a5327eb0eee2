"""Demo data for `peam-bot chat`: a few invented but plausible initiatives of Arequipa residents,
so the similar-initiative check and /estado have something to show, and upcoming events (a taller,
a session of a mesa, and an exposición under way, whose check-in is open) to register for and to
run from /organizar."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services import events, initiatives, users
from peam_bot.services.formatting import DEFAULT_TZ
from peam_bot.services.initiatives import Draft
from peam_bot.storage.event_models import Event, Mesa
from peam_bot.storage.models import Initiative

DEMO_AUTHOR = 1  # an invented resident id (never a real Telegram user: ids start far higher)

DEMO_INITIATIVES = [
    Draft(
        title="Semáforo en la Av. Ejército con la calle Cayma",
        description="En el cruce de la Av. Ejército con la calle Cayma los niños del colegio cruzan sin "
        "semáforo y ya hubo accidentes. Pedimos un semáforo peatonal con tiempo suficiente.",
        district="cayma",
        theme="movilidad",
        latitude=-16.3915,
        longitude=-71.5440,
    ),
    Draft(
        title="Recuperar la ribera del río Chili en Tingo",
        description="La ribera del río Chili a la altura de Tingo está llena de desmonte y basura. Proponemos "
        "limpiarla, sembrar árboles nativos y hacer un sendero peatonal.",
        district="sachaca",
        theme="ambiente",
        latitude=-16.4186,
        longitude=-71.5487,
    ),
    Draft(
        title="Mercado de productores en Paucarpata",
        description="Los productores de la campiña no tienen dónde vender directamente. Un mercado semanal en "
        "el parque principal de Paucarpata ayudaría a sus familias y a los vecinos.",
        district="paucarpata",
        theme="economia",
    ),
    Draft(
        title="Iluminación del parque de la Urb. Semi Rural Pachacútec",
        description="El parque de la urbanización está oscuro de noche y hay robos. Pedimos postes de luz LED "
        "y una caseta de serenazgo.",
        district="cerro-colorado",
        theme="urbano",
        org_name="Junta Vecinal Semi Rural Pachacútec",
        org_type="territorial",
    ),
    Draft(
        title="Restauración de los andenes de Yumina",
        description="Los andenes prehispánicos de Yumina se están perdiendo. Proponemos un programa con los "
        "agricultores para restaurarlos y recibir visitantes.",
        district="paucarpata",
        theme="cultura",
    ),
]


async def seed(session: AsyncSession, year: int) -> int:
    """Insert the demo initiatives once; returns how many were added."""
    if (await session.execute(select(func.count()).select_from(Initiative))).scalar_one():
        return 0
    await users.accept_consent(session, DEMO_AUTHOR, "es")
    for draft in DEMO_INITIATIVES:
        await initiatives.submit(session, DEMO_AUTHOR, draft, staff_chat_id=None, tz_year=year)
    return len(DEMO_INITIATIVES)


async def seed_events(session: AsyncSession, now: datetime) -> int:
    """Three demo events, when none is upcoming (the dates follow the day the demo runs)."""
    if (await session.execute(select(func.count()).select_from(Event).where(Event.ends_at > now))).scalar_one():
        return 0
    local = now.astimezone(DEFAULT_TZ)
    saturday = (local + timedelta(days=(5 - local.weekday()) % 7 or 7)).replace(hour=9, minute=0, second=0, microsecond=0)
    mesa = (await session.execute(select(Mesa).where(Mesa.code == "MESA-MOV"))).scalar_one_or_none()
    common = dict(organizer="AQPlan", walk_ins=True, status="programado", registered=0, description="")
    demo_events = [
        Event(kind="taller", title="Taller de planificación: el PEAM en Cayma", venue="Municipalidad Distrital de Cayma",
              address="Plaza Principal de Cayma s/n", latitude=-16.3617, longitude=-71.5486, district="cayma",
              axis="urbano", starts_at=saturday, ends_at=saturday + timedelta(hours=3), capacity=40, **common),
        Event(kind="mesa", title="Sesión de la Mesa de Movilidad y transporte", venue="Auditorio de AQPlan",
              address="Calle Mercaderes 100, Cercado", district="arequipa", axis="movilidad",
              mesa_id=mesa.id if mesa else None, starts_at=saturday + timedelta(days=5, hours=9),
              ends_at=saturday + timedelta(days=5, hours=11), capacity=2, **common),
        Event(kind="exposicion", title="Exposición itinerante del PEAM", venue="Plaza de Armas de Arequipa",
              address="Plaza de Armas, Cercado", latitude=-16.3989, longitude=-71.5369, district="arequipa",
              starts_at=now - timedelta(minutes=10), ends_at=now + timedelta(hours=3),
              registration_deadline=now + timedelta(hours=2), capacity=None, **common),
    ]  # fmt: skip
    for event in demo_events:
        event.code = await events.next_code(session)
        session.add(event)
    return len(demo_events)
