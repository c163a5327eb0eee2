"""The Lista de Asistentes of an event: the plan's evidence (medio de verificación) of who took part.

One row per person listed: everyone with a seat (`inscrito`, present or not) and everyone checked in
at the door without registering (`checkin_method == "walk_in"`); cancelled registrations and the
waiting list are not listed (the waiting list is counted). Each row: the name as registered, the
organization and its type (territorial / funcional), the resident's district, when they registered
and when and how they were checked in, all in America/Lima.

Totals: `inscritos` (listed, registered beforehand), `presentes` (listed and checked in), `sin
inscripción previa` (walk-ins) and `en lista de espera`.

Written as CSV or XLSX through the spreadsheet engine (one `Table`; the XLSX has a second sheet with
the event and the totals) or as a printable A4 PDF (`attendance_pdf`): the event's header, the rows,
the totals, page numbers and the organizer's signature line.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.i18n import gettext
from peam_bot.services import events, reference
from peam_bot.services.attendance_pdf import TIME, render_pdf
from peam_bot.services.formatting import DEFAULT_TZ
from peam_bot.services.spreadsheet import engine, files
from peam_bot.services.spreadsheet.schema import Column, DateTime, OrEmpty, Table, Text, WholeNumber
from peam_bot.storage.event_models import Event, Registration
from peam_bot.storage.models import User

FORMATS = ("csv", "xlsx", "pdf")
METHOD_LABELS = {"qr": "QR", "ticket": "código", "walk_in": "sin inscripción previa"}


@dataclass(frozen=True)
class Attendee:
    number: int
    name: str
    organization: str
    organization_type: str  # territorial | funcional | ""
    district: str  # the resident's district, by name ("" if none)
    registered_at: datetime | None  # None for someone checked in at the door
    checked_in_at: datetime | None
    method: str  # METHOD_LABELS' label, "" if not checked in


@dataclass(frozen=True)
class Totals:
    registered: int  # inscritos
    present: int  # presentes
    walk_ins: int  # sin inscripción previa
    waiting: int  # en lista de espera


@dataclass(frozen=True)
class AttendanceList:
    event: Event
    rows: list[Attendee]
    totals: Totals

    @property
    def filename_stem(self) -> str:
        return f"asistentes-{self.event.code}"


TABLE: Table[Attendee] = Table(
    title="Asistentes",
    columns=(
        Column("n", WholeNumber(1, 10**9, "{value}"), attr="number", width=5),
        Column("nombre", Text(), attr="name", width=34),
        Column("organizacion", Text(), attr="organization", width=30),
        Column("tipo_organizacion", Text(), attr="organization_type", width=14),
        Column("distrito", Text(), attr="district", width=22),
        Column("inscripcion", OrEmpty(DateTime()), attr="registered_at", width=17),
        Column("ingreso", OrEmpty(DateTime()), attr="checked_in_at", width=17),
        Column("metodo", Text(), attr="method", width=20),
    ),
    record=Attendee,
    done="",  # written, never imported
    key="n",
)


async def build(session: AsyncSession, event: Event) -> AttendanceList:
    """The rows (in registration order; walk-ins by check-in time after them) and the totals."""
    found = await session.execute(
        select(Registration, User.district)
        .join(User, User.id == Registration.user_id)
        .where(
            Registration.event_id == event.id,
            Registration.status != "cancelado",
            or_(Registration.status == "inscrito", Registration.checkin_method == "walk_in"),
        )
        .order_by(Registration.id)
    )
    listed = list(found.all())
    walk_in = [(r, d) for r, d in listed if r.checkin_method == "walk_in"]
    walk_in.sort(key=lambda rd: (rd[0].checked_in_at or rd[0].created_at, rd[0].id))
    ordered = [(r, d) for r, d in listed if r.checkin_method != "walk_in"] + walk_in
    rows = [
        Attendee(
            number=i,
            name=r.attendee_name,
            organization=r.organization or "",
            organization_type=r.organization_type or "",
            district=await reference.district_name(session, district) if district else "",
            registered_at=None if r.checkin_method == "walk_in" else r.created_at,
            checked_in_at=r.checked_in_at,
            method=METHOD_LABELS.get(r.checkin_method or "", r.checkin_method or "")
            if r.checked_in_at
            else "",
        )
        for i, (r, district) in enumerate(ordered, start=1)
    ]
    waiting = await session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == "espera",
            or_(Registration.checkin_method.is_(None), Registration.checkin_method != "walk_in"),
        )
    )
    totals = Totals(
        registered=len(listed) - len(walk_in),
        present=sum(1 for r in rows if r.checked_in_at is not None),
        walk_ins=len(walk_in),
        waiting=int(waiting or 0),
    )
    return AttendanceList(event, rows, totals)


# ---------------------------------------------------------------------------------------------- files


def local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return "" if value is None else value.astimezone(DEFAULT_TZ).strftime(fmt)


def header_lines(listing: AttendanceList) -> list[tuple[str, str]]:
    """(label, value) of the event, as the PDF and the XLSX's summary sheet show it."""
    e = listing.event
    venue = ", ".join(part for part in (e.venue, e.address) if part)
    when = f"{events.when(e, 'es')} ({e.starts_at.astimezone(DEFAULT_TZ).year})"
    return [
        ("Evento", e.title),
        ("Tipo", gettext(events.KIND_LABELS.get(e.kind, e.kind), "es")),
        ("Fecha y hora", when),
        ("Lugar", venue),
        ("Organiza", e.organizer),
        ("Código", e.code),
    ]


def total_lines(listing: AttendanceList) -> list[tuple[str, int]]:
    t = listing.totals
    return [
        ("Inscritos", t.registered),
        ("Presentes", t.present),
        ("Sin inscripción previa", t.walk_ins),
        ("En lista de espera", t.waiting),
    ]


def _spreadsheet(listing: AttendanceList, suffix: str) -> bytes:
    summary = files.Sheet(
        "Resumen",
        ("dato", "valor"),
        [*header_lines(listing), *total_lines(listing)],
        widths=(24, 70),
        bold_header=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{listing.filename_stem}{suffix}"
        engine.write_file(path, TABLE, listing.rows, extra_sheets=[summary])
        return path.read_bytes()


def render(listing: AttendanceList, fmt: str, *, compress: bool = True) -> bytes:
    """The list as a ``csv``, ``xlsx`` or ``pdf`` file (`compress`: the PDF's streams)."""
    if fmt in ("csv", "xlsx"):
        return _spreadsheet(listing, f".{fmt}")
    if fmt == "pdf":
        rows = [
            [
                str(r.number),
                r.name,
                r.organization,
                r.organization_type,
                r.district,
                local(r.registered_at, TIME),
                local(r.checked_in_at, TIME),
                r.method,
            ]
            for r in listing.rows
        ]
        e = listing.event
        return render_pdf(
            e.code, header_lines(listing), rows, total_lines(listing), e.organizer, compress=compress
        )
    raise ValueError(f"unsupported attendance format {fmt!r}: use one of {', '.join(FORMATS)}")


async def attendance_file(session: AsyncSession, event: Event, fmt: str) -> tuple[bytes, str]:
    """The event's attendance list as a file to send: (data, filename); `fmt` is csv, xlsx or pdf."""
    fmt = fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"unsupported attendance format {fmt!r}: use one of {', '.join(FORMATS)}")
    listing = await build(session, event)
    return render(listing, fmt), f"{listing.filename_stem}.{fmt}"
