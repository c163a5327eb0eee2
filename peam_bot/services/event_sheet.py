"""Events (talleres, sesiones de mesa, exposiciones, presentaciones) as a spreadsheet: import (CSV or
XLSX) and export, by AQPlan staff.

A header row, then one event per row. Columns (any order on import; names are case- and
accent-insensitive, a note in parentheses is ignored, so "Código" or "cupos (vacío: sin límite)" work):

=======================  ===================================================================================
codigo                   EV- and 4 digits (EV-0007, ``ev-7`` too). An existing code updates that event; an
                         empty cell makes a new event with the next code.
tipo                     taller, mesa, exposicion, presentacion (or their names: "Exposición itinerante")
titulo                   required, up to 160 characters
descripcion              free text, may be empty
eje, distrito            a strategic axis and a district (slug or name), each may be empty
mesa                     the code of a Mesa de Concertación (MESA-MOV) or its name, may be empty
lugar                    required, up to 160 characters; direccion up to 200
latitud, longitud        decimal degrees, both or neither, inside the province of Arequipa
inicio, fin              date and time in America/Lima: ``12/12/2026 09:00`` or ``2026-12-12 09:00``; fin after
                         inicio
cupos                    a whole number (0 or more); empty: no limit. Not below the seats already taken
cierre_inscripciones     date and time; empty: registration closes at the start. Not after the end
organiza                 up to 160 characters; empty is AQPlan
acepta_sin_inscripcion   sí / no (empty: sí): people who did not register may be checked in at the door
estado                   programado, reprogramado, cancelado, realizado (empty: programado)
=======================  ===================================================================================

Canonical form (what `export_file` writes as CSV): UTF-8, ``,``, LF, the columns above in this order, slugs,
times as ``2026-12-12 09:00`` in America/Lima, ``sí``/``no``, rows ordered by code; exporting and importing
it again changes nothing. An import never tells anyone (a changed date or a cancellation is only stored:
notices about it are not this module's), and it does not give freed seats to the waiting list.

Every row is checked and every error reported at once; if there is any, nothing is imported. Reading,
checking and writing files is the shared engine's (`peam_bot.services.spreadsheet`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services import audit, codes
from peam_bot.services.events import KIND_LABELS
from peam_bot.services.portfolio_sheet import check_point
from peam_bot.services.spreadsheet import engine
from peam_bot.services.spreadsheet import reference as vocabularies
from peam_bot.services.spreadsheet.engine import Counts, ImportReport
from peam_bot.services.spreadsheet.schema import (
    CellError,
    Code,
    Column,
    DateTime,
    Degrees,
    OneOf,
    OrEmpty,
    Table,
    Text,
    Vocabulary,
    WholeNumber,
    YesNo,
    round_degrees,
)
from peam_bot.storage.event_models import KINDS, STATUSES, Event, Mesa
from peam_bot.storage.models import utcnow

SERIES = "EV"  # the code counter events share with services.events.next_code
CODE_RE = re.compile(r"^EV-\d{4,}$")
DEFAULT_ORGANIZER = "AQPlan"
COLUMNS: tuple[str, ...] = (
    "codigo",
    "tipo",
    "titulo",
    "descripcion",
    "eje",
    "distrito",
    "mesa",
    "lugar",
    "direccion",
    "latitud",
    "longitud",
    "inicio",
    "fin",
    "cupos",
    "cierre_inscripciones",
    "organiza",
    "acepta_sin_inscripcion",
    "estado",
)


def normalize_code(raw: str) -> str:
    """``ev-7`` → ``EV-0007``; anything else upper-cased, for the pattern to refuse."""
    m = re.fullmatch(r"(?i)ev\s*-?\s*(\d+)", raw.strip())
    return f"EV-{int(m.group(1)):04d}" if m else raw.strip().upper()


def format_code(number: int) -> str:
    return f"{SERIES}-{number:04d}"  # as services.events.next_code


@dataclass(frozen=True)
class EventRow:
    """One event with every value in its canonical form ("" for an empty choice)."""

    code: str  # "" in a file: a new event
    kind: str
    title: str
    description: str
    axis: str
    district: str
    mesa: str  # the mesa's code
    venue: str
    address: str
    latitude: float | None
    longitude: float | None
    starts_at: datetime
    ends_at: datetime
    capacity: int | None
    registration_deadline: datetime | None
    organizer: str
    walk_ins: bool
    status: str

    @classmethod
    def of(cls, e: Event, mesa_code: str = "") -> EventRow:
        return cls(
            code=e.code,
            kind=e.kind,
            title=e.title,
            description=e.description,
            axis=e.axis or "",
            district=e.district or "",
            mesa=mesa_code,
            venue=e.venue,
            address=e.address,
            latitude=round_degrees(e.latitude),
            longitude=round_degrees(e.longitude),
            starts_at=e.starts_at,
            ends_at=e.ends_at,
            capacity=e.capacity,
            registration_deadline=e.registration_deadline,
            organizer=e.organizer,
            walk_ins=e.walk_ins,
            status=e.status,
        )


def _record(**values: Any) -> EventRow:
    """A row as read, with the defaults of its empty cells."""
    row = EventRow(**values)
    return replace(row, organizer=row.organizer or DEFAULT_ORGANIZER, status=row.status or "programado")


# ---------------------------------------------------------------------------------------------- schema


def _checks(taken: Mapping[str, int]) -> Callable[[Mapping[str, Any]], list[tuple[str, CellError]]]:
    """Across the columns of a row: the point, fin after inicio, the deadline not after the end, and
    `cupos` not below the seats already taken of that event (`taken`: code -> seats)."""

    def check(got: Mapping[str, Any]) -> list[tuple[str, CellError]]:
        out = check_point(got)
        start, end, deadline = got.get("inicio"), got.get("fin"), got.get("cierre_inscripciones")
        if start is not None and end is not None and end <= start:
            out.append(("fin", CellError("el fin debe ser después del inicio")))
        if deadline is not None and end is not None and deadline > end:
            out.append(
                ("cierre_inscripciones", CellError("el cierre de inscripciones debe ser antes del fin"))
            )
        code, capacity = got.get("codigo"), got.get("cupos")
        if code and capacity is not None and capacity < taken.get(code, 0):
            out.append(
                (
                    "cupos",
                    CellError(
                        "{code} ya tiene {taken} inscritos: los cupos no pueden ser menos",
                        code=code,
                        taken=taken[code],
                    ),
                )
            )
        return out

    return check


INSTRUCTIONS: list[tuple[str, str]] = [
    (
        "codigo",
        "EV- y 4 cifras (EV-0007). Si el código existe, la fila actualiza ese evento; vacío: evento nuevo.",
    ),
    ("tipo", ", ".join(KINDS) + " (o su nombre: «Exposición itinerante»)."),
    ("titulo", "Obligatorio, hasta 160 caracteres."),
    ("descripcion", "Texto libre; puede quedar vacío."),
    ("eje", "Eje estratégico: {axes} (o su nombre); puede quedar vacío."),
    ("distrito", "Nombre o código del distrito (cayma, José Luis Bustamante y Rivero); puede quedar vacío."),
    ("mesa", "Código de la mesa de concertación (MESA-MOV) en las sesiones de mesa; puede quedar vacío."),
    ("lugar, direccion", "Lugar obligatorio (hasta 160 caracteres); dirección hasta 200."),
    ("latitud, longitud", "Grados decimales (-16.398803); ambas o ninguna, dentro de la provincia."),
    (
        "inicio, fin",
        "Fecha y hora de Arequipa (Lima): 12/12/2026 09:00 o 2026-12-12 09:00; el fin después del inicio.",
    ),
    ("cupos", "Número entero (0 o más); vacío: sin límite. No menos que los ya inscritos."),
    ("cierre_inscripciones", "Fecha y hora; vacío: se cierra al inicio. No después del fin."),
    ("organiza", "Quién organiza, hasta 160 caracteres; vacío: AQPlan."),
    ("acepta_sin_inscripcion", "sí o no (vacío: sí): se registra en la puerta a quien no se inscribió."),
    ("estado", ", ".join(STATUSES) + " (vacío: programado). Importar no avisa a nadie."),
]


async def table(session: AsyncSession) -> Table[EventRow]:
    """The events' schema, with the districts, axes and mesas of the database and the seats taken."""
    axes = await vocabularies.axes(session)
    mesas = Vocabulary()
    for code, name in (await session.execute(select(Mesa.code, Mesa.name).order_by(Mesa.code))).all():
        mesas.add(code, code, name)
    taken = {
        code: int(n)
        for code, n in (
            await session.execute(select(Event.code, Event.registered).where(Event.registered > 0))
        )
    }
    statuses = Vocabulary()
    for status in STATUSES:
        statuses.add(status, status)
    when = DateTime()
    out = Table(
        title="Eventos",
        columns=(
            Column(
                "codigo",
                Code(
                    CODE_RE,
                    normalize_code,
                    "el código «{value}» no es válido: use EV- y 4 cifras, por ejemplo EV-0007, o déjelo vacío",
                    missing=None,
                ),
                attr="code",
                aliases=("code",),
                width=10,
            ),
            Column(
                "tipo",
                OneOf(Vocabulary.labelled(KIND_LABELS), "falta el tipo", KINDS),
                attr="kind",
                width=12,
            ),
            Column("titulo", Text(max=160, missing="falta el título", one_line=True), attr="title", width=44),
            Column("descripcion", Text(), attr="description", width=50),
            Column("eje", OneOf(axes, None), attr="axis", aliases=("eje estrategico",)),
            Column("distrito", OneOf(await vocabularies.districts(session), None), attr="district"),
            Column("mesa", OneOf(mesas, None), attr="mesa", width=12),
            Column("lugar", Text(max=160, missing="falta el lugar", one_line=True), attr="venue", width=32),
            Column("direccion", Text(max=200, one_line=True), attr="address", width=32),
            Column("latitud", Degrees(), attr="latitude", width=12),
            Column("longitud", Degrees(), attr="longitude", width=12),
            Column("inicio", when, attr="starts_at", width=17),
            Column("fin", when, attr="ends_at", width=17),
            Column(
                "cupos",
                OrEmpty(
                    WholeNumber(0, 1_000_000, "los cupos «{value}» no son válidos: un número entero, 0 o más")
                ),
                attr="capacity",
                aliases=("capacidad", "vacantes"),
                width=8,
            ),
            Column(
                "cierre_inscripciones",
                OrEmpty(when),
                attr="registration_deadline",
                aliases=("cierre de inscripciones", "cierre"),
                width=17,
            ),
            Column(
                "organiza", Text(max=160, one_line=True), attr="organizer", aliases=("organizador",), width=24
            ),
            Column(
                "acepta_sin_inscripcion",
                YesNo(empty=True),
                attr="walk_ins",
                aliases=("acepta sin inscripción", "sin inscripcion"),
                width=10,
            ),
            Column("estado", OneOf(statuses, None, STATUSES), attr="status", width=12),
        ),
        record=_record,
        done=(
            "Eventos importados. Nuevos: {created}; actualizados: {updated}; sin cambios: {unchanged}. "
            "No se avisó a nadie."
        ),
        check=_checks(taken),
        instructions=[(c, text.replace("{axes}", ", ".join(axes.slugs))) for c, text in INSTRUCTIONS],
    )
    assert out.names == COLUMNS
    return out


# ---------------------------------------------------------------------------------------------- import


def _apply(e: Event, row: EventRow, mesa_ids: Mapping[str, int]) -> None:
    e.kind, e.title, e.description = row.kind, row.title, row.description
    e.axis, e.district = row.axis or None, row.district or None
    e.mesa_id = mesa_ids[row.mesa] if row.mesa else None
    e.venue, e.address, e.latitude, e.longitude = row.venue, row.address, row.latitude, row.longitude
    e.starts_at, e.ends_at, e.registration_deadline = row.starts_at, row.ends_at, row.registration_deadline
    e.capacity, e.organizer, e.walk_ins, e.status = row.capacity, row.organizer, row.walk_ins, row.status


async def _mesa_codes(session: AsyncSession) -> dict[int, str]:
    return {i: c for i, c in (await session.execute(select(Mesa.id, Mesa.code))).all()}


async def import_rows(
    session: AsyncSession, table: Table[EventRow], rows: list[EventRow], actor_id: int | None
) -> Counts:
    """Upsert valid rows by code (flushes; the caller commits); a row without a code is a new event
    with the next code. A row equal to its event (column by column, canonical text) changes nothing.
    Nobody is told anything."""
    mesa_codes = await _mesa_codes(session)
    mesa_ids = {c: i for i, c in mesa_codes.items()}
    given = [r.code for r in rows if r.code]
    existing = {
        e.code: e for e in (await session.execute(select(Event).where(Event.code.in_(given)))).scalars()
    }
    new_given = [c for c in given if c not in existing]
    if new_given:  # a code given by hand: the bot's next_code must never hand it out again
        await codes.reserve(session, SERIES, max(int(c.split("-")[1]) for c in new_given))
    all_codes = set((await session.execute(select(Event.code))).scalars())
    created = updated = unchanged = 0
    for row in rows:
        event = existing.get(row.code) if row.code else None
        if event is None:
            code = row.code
            while not code or code in all_codes:  # an event made without the counter (a test, a merge)
                code = format_code(await codes.next_number(session, SERIES))
            all_codes.add(code)
            event = Event(code=code, registered=0)
            _apply(event, row, mesa_ids)
            session.add(event)
            created += 1
            continue
        before = table.texts(EventRow.of(event, mesa_codes.get(event.mesa_id or 0, "")))
        if before == table.texts(row):
            unchanged += 1
            continue
        _apply(event, row, mesa_ids)
        event.updated_at = utcnow()
        updated += 1
    if created or updated:
        audit.record(
            session, actor_id, "events_import", "eventos", None, f"{created} nuevos, {updated} actualizados"
        )
    await session.flush()
    return Counts(created, updated, unchanged)


async def import_file(session: AsyncSession, path: Path, actor_id: int | None = None) -> ImportReport:
    """Validate the whole file; if it is clean, upsert its events (flushes; the caller commits)."""
    return await engine.import_file(session, Path(path), await table(session), import_rows, actor_id)


# ---------------------------------------------------------------------------------------------- export


async def export_rows(session: AsyncSession) -> list[EventRow]:
    mesa_codes = await _mesa_codes(session)
    found = (await session.execute(select(Event).order_by(func.length(Event.code), Event.code))).scalars()
    return [EventRow.of(e, mesa_codes.get(e.mesa_id or 0, "")) for e in found]


async def export_file(session: AsyncSession, path: Path) -> int:
    """Write every event to `path` (.csv in the canonical form, or .xlsx); the number of events."""
    rows = await export_rows(session)
    engine.write_file(Path(path), await table(session), rows)
    return len(rows)
