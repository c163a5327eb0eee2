"""Demo data for `peam-bot chat`: a few invented but plausible initiatives of Arequipa residents,
so the similar-initiative check and /estado have something to show."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services import initiatives, users
from peam_bot.services.initiatives import Draft
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
