"""The Lista de Asistentes: who is listed (seats and walk-ins, not cancellations nor the waiting list),
the totals, and the same rows read back from the CSV (csv), the XLSX (openpyxl) and the PDF (its text
decoded from the content streams through the fonts' ToUnicode maps); `peam-bot export attendance`."""

from __future__ import annotations

import asyncio
import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services import attendance_list
from peam_bot.services.attendance_list import TABLE
from peam_bot.services.attendance_pdf import HEADINGS, render_pdf
from peam_bot.storage.db import make_engine, make_session_factory, upgrade
from peam_bot.storage.event_models import Event, Registration
from peam_bot.storage.models import User
from tests.conftest import FAST_PATHS
from tests.test_event_sheet import cli_db, run  # noqa: F401  (cli_db is a fixture)

START = datetime(2026, 12, 12, 14, 0, tzinfo=UTC)  # sábado 12 de diciembre de 2026, 9:00 en Lima
LONG_NAME = "María de los Ángeles Huamaní Quispe de la Cruz Villanueva del Carpio"


async def seed(session: AsyncSession) -> Event:
    event = Event(
        code="EV-0007", kind="taller", title="Taller de movilidad en Cayma", venue="Municipalidad de Cayma",
        address="Plaza de Cayma s/n", district="cayma", axis="movilidad", starts_at=START,
        ends_at=START + timedelta(hours=3), capacity=3, organizer="Gerencia de Transporte Urbano",
        walk_ins=True, status="programado", registered=3, description="",
    )  # fmt: skip
    session.add(event)
    people: list[tuple[str, str, str | None, str | None, str | None, str | None, int | None]] = [
        # name, status, organization, type, district, check-in method, minutes after 9:00 checked in
        (
            "Rosa Quispe 🌻",
            "inscrito",
            "Junta Vecinal Señor de los Milagros",
            "territorial",
            "cayma",
            "qr",
            5,
        ),
        ("=Juan Pérez", "inscrito", None, None, "jlbyr", None, None),
        ("Carlos Cancelado", "cancelado", None, None, "cayma", None, None),
        ("Wilma Espera", "espera", None, None, "yura", None, None),
        ("Ñusta Mamani", "inscrito", "Asociación de Mujeres Emprendedoras", "funcional", None, "walk_in", 20),
        (LONG_NAME, "inscrito", None, None, "paucarpata", "ticket", 12),
    ]
    await session.flush()
    for i, (name, status, org, org_type, district, method, minutes) in enumerate(people, start=1):
        session.add(User(id=980_000 + i, district=district, consent_at=START, consent_version="1"))
        await session.flush()
        session.add(
            Registration(
                event_id=event.id,
                user_id=980_000 + i,
                status=status,
                ticket=f"T{i:05d}",
                attendee_name=name,
                organization=org,
                organization_type=org_type,
                created_at=START - timedelta(days=3, hours=i),
                checked_in_at=None if minutes is None else START + timedelta(minutes=minutes),
                checkin_method=method,
            )  # fmt: skip
        )
    await session.commit()
    return event


EXPECTED = [  # nombre, organizacion, tipo_organizacion, distrito, inscripcion, ingreso, metodo
    ["Rosa Quispe 🌻", "Junta Vecinal Señor de los Milagros", "territorial", "Cayma", "2026-12-09 08:00",
     "2026-12-12 09:05", "QR"],
    ["'=Juan Pérez", "", "", "José Luis Bustamante y Rivero", "2026-12-09 07:00", "", ""],
    [LONG_NAME, "", "", "Paucarpata", "2026-12-09 03:00", "2026-12-12 09:12", "código"],
    ["Ñusta Mamani", "Asociación de Mujeres Emprendedoras", "funcional", "", "", "2026-12-12 09:20",
     "sin inscripción previa"],
]  # fmt: skip
TOTALS = [("Inscritos", 3), ("Presentes", 3), ("Sin inscripción previa", 1), ("En lista de espera", 1)]


def pdf_text(data: bytes) -> list[str]:
    """The text of each BT … ET block of an uncompressed fpdf2 PDF, decoded through its fonts'
    ToUnicode CMaps (the content streams hold glyph ids, not letters)."""
    s = data.decode("latin-1")
    assert s.startswith("%PDF-")

    def obj(n: str) -> str:
        m = re.search(rf"(?s)\n{n} 0 obj\n(.*?)endobj", s)
        assert m, n
        return m.group(1)

    maps: dict[str, dict[int, str]] = {}
    for name, n in set(re.findall(r"/(F\d+) (\d+) 0 R", s)):
        cmap = obj(re.search(r"/ToUnicode (\d+) 0 R", obj(n)).group(1))  # type: ignore[union-attr]
        pairs = re.findall(r"<([0-9A-F]{4})> <([0-9A-F]+)>", cmap.split("beginbfchar", 1)[1])
        maps[name] = {
            int(c, 16): "".join(chr(int(u[i : i + 4], 16)) for i in range(0, len(u), 4)) for c, u in pairs
        }
    escapes = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "(": "(", ")": ")", "\\": "\\"}
    blocks: list[str] = []
    font = ""
    for block in re.findall(r"(?s)BT (.*?) ET", s):
        out = []
        for tf, literal in re.findall(r"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", block, flags=re.S):
            if tf:
                font = tf
                continue
            raw = re.sub(r"\\([0-7]{1,3}|.)", lambda m: escapes.get(m[1]) or chr(int(m[1], 8)), literal)
            codes = [ord(raw[i]) << 8 | ord(raw[i + 1]) for i in range(0, len(raw) - 1, 2)]
            out.append("".join(maps[font].get(c, "\ufffd") for c in codes))
        if out:
            blocks.append("".join(out).strip())
    return blocks


async def test_rows_and_totals_in_csv_xlsx_and_pdf(session_factory: Any) -> None:
    async with session_factory() as session:
        event = await seed(session)
        listing = await attendance_list.build(session, event)
        assert [r.name for r in listing.rows] == ["Rosa Quispe 🌻", "=Juan Pérez", LONG_NAME, "Ñusta Mamani"]
        totals = listing.totals
        assert (totals.registered, totals.present, totals.walk_ins, totals.waiting) == (3, 3, 1, 1)

        data, name = await attendance_list.attendance_file(session, event, "csv")
        assert name == "asistentes-EV-0007.csv"
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        assert rows[0] == list(TABLE.names)
        assert [r[0] for r in rows[1:]] == ["1", "2", "3", "4"]
        assert [r[1:] for r in rows[1:]] == EXPECTED

        data, name = await attendance_list.attendance_file(session, event, "xlsx")
        assert name == "asistentes-EV-0007.xlsx"
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(data))
        sheet = [list(r) for r in book["Asistentes"].iter_rows(values_only=True)]
        assert sheet[0] == list(TABLE.names)
        assert sheet[1][5] == datetime(2026, 12, 9, 8, 0) and sheet[1][6] == datetime(2026, 12, 12, 9, 5)
        assert [c or "" for c in sheet[2][1:5]] == EXPECTED[1][:4]  # the formula defused: text
        assert book["Asistentes"].cell(row=3, column=2).data_type == "s"
        summary = dict(book["Resumen"].iter_rows(min_row=2, values_only=True))
        assert summary["Código"] == "EV-0007" and summary["Organiza"] == "Gerencia de Transporte Urbano"
        assert [(k, summary[k]) for k, _n in TOTALS] == TOTALS

        data, name = await attendance_list.attendance_file(session, event, "pdf")
        assert name == "asistentes-EV-0007.pdf" and data.startswith(b"%PDF-")
        with pytest.raises(ValueError):
            await attendance_list.attendance_file(session, event, "docx")
    text = pdf_text(attendance_list.render(listing, "pdf", compress=False))
    joined = "\n".join(text)
    for expected in (
        "Taller de movilidad en Cayma",
        "sábado 12 de diciembre, 9:00 a 12:00 (2026)",
        "Municipalidad de Cayma, Plaza de Cayma s/n",
        "Gerencia de Transporte Urbano",
        "EV-0007",
        "Junta Vecinal Señor de los",  # wraps in its column
        "Ñusta Mamani",
        "=Juan Pérez",
        "12/12/26 09:05",
        "Firma del organizador(a)",
        "Página 1 de 1",
    ):
        assert expected in joined, expected
    assert "Rosa Quispe" in text and "🌻" not in joined  # no glyph: left out, not a box
    assert "Carlos Cancelado" not in joined and "Wilma Espera" not in joined
    # the long name wraps inside its column: its words come back in order over several lines
    start = next(i for i, t in enumerate(text) if t.startswith("María de los"))
    assert " ".join(text[start : start + 4]).startswith(LONG_NAME[:40]) and LONG_NAME not in text
    labels = [t.rstrip(":") for t in text]
    for label, n in TOTALS:
        i = labels.index(label)
        assert text[i + 1] == str(n), label
    assert "\ufffd" not in joined


def test_pdf_pages_are_numbered_and_headings_repeat() -> None:
    rows = [[str(i), f"Vecina número {i}", "", "", "Cayma", "", "", ""] for i in range(1, 121)]
    text = pdf_text(render_pdf("EV-0009", [("Evento", "Presentación pública")], rows, [("Inscritos", 120)], "AQPlan", compress=False))  # fmt: skip
    pages = [t for t in text if t.startswith("Lista de asistentes EV-0009 · Página")]
    assert len(pages) >= 3 and pages[-1].endswith(f"Página {len(pages)} de {len(pages)}")
    assert text.count(HEADINGS[1]) == len(pages)  # "Nombre" heads the table on every page
    assert "Vecina número 120" in text and "Firma del organizador(a)" in text


def test_cli_export_attendance(cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    async def seed_db() -> None:
        engine = make_engine(cli_db, fast_paths=FAST_PATHS)
        try:
            await upgrade(engine)
            async with make_session_factory(engine)() as session:
                await seed(session)
        finally:
            await engine.dispose()

    asyncio.run(seed_db())
    for suffix in (".csv", ".xlsx", ".pdf"):
        path = tmp_path / f"lista{suffix}"
        assert run(capsys, "export", "attendance", "ev-0007", str(path))[:2] == (
            0,
            [f"Lista de asistentes de EV-0007 en {path}: 4 personas, 3 presentes."],
        )
        assert path.stat().st_size > 0
    with (tmp_path / "lista.csv").open(encoding="utf-8", newline="") as f:
        assert [r["nombre"] for r in csv.DictReader(f)][-1] == "Ñusta Mamani"
    assert (tmp_path / "lista.pdf").read_bytes().startswith(b"%PDF-")
    code, _out, err = run(capsys, "export", "attendance", "EV-0099", str(tmp_path / "x.pdf"))
    assert code == 1 and "EV-0099" in err
    code, _out, err = run(capsys, "export", "attendance", "EV-0007", str(tmp_path / "x.docx"))
    assert code == 2 and "pdf" in err
