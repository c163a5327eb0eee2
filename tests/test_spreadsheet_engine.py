"""The spreadsheet engine with a table of its own (not the portfolio): every row error at once, records
from a clean file, nothing imported on error, and a round trip through CSV and XLSX."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services.spreadsheet import engine, files
from peam_bot.services.spreadsheet.engine import Counts
from peam_bot.services.spreadsheet.schema import (
    CellError,
    Code,
    Column,
    DateTime,
    Degrees,
    OrEmpty,
    Table,
    Text,
    WholeNumber,
    YesNo,
)


@dataclass(frozen=True)
class Workshop:
    code: str
    title: str
    seats: int
    notes: str


TABLE: Table[Workshop] = Table(
    title="Talleres",
    columns=(
        Column(
            "codigo",
            Code(re.compile(r"^T-\d{3}$"), str.upper, "el código «{value}» no es válido: use T- y 3 cifras"),
            attr="code",
        ),
        Column("titulo", Text(max=20, missing="falta el título", one_line=True), attr="title", width=30),
        Column(
            "cupos",
            WholeNumber(1, 50, "los cupos «{value}» no son válidos: de 1 a 50"),
            attr="seats",
            aliases=("vacantes",),
        ),
        Column("notas", Text(), attr="notes", optional=True),
    ),
    record=Workshop,
    done="Talleres importados. Nuevos: {created}; actualizados: {updated}; sin cambios: {unchanged}.",
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_every_row_error_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path / "talleres.csv",
        "codigo,titulo,cupos\nT-001,Huertos urbanos,20\nT-1,Compostaje,10\nT-003,Reciclaje,80\nT-001,Otro,5\n",
    )
    records, errors = engine.read_file(TABLE, path)
    assert records == []
    assert [(e.row, e.column, e.message) for e in errors] == [
        (3, "codigo", "el código «T-1» no es válido: use T- y 3 cifras"),
        (4, "cupos", "los cupos «80» no son válidos: de 1 a 50"),
        (5, "codigo", "el código T-001 ya aparece en la fila 2"),
    ]
    missing = write(tmp_path / "sin_cupos.csv", "codigo;titulo\nT-001;Huertos\n")
    assert [(e.row, e.column) for e in engine.read_file(TABLE, missing)[1]] == [(1, "cupos")]


def test_clean_file_gives_records_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "talleres.csv"
    path.write_bytes(
        "\ufeffCódigo;Título (máx. 20);Vacantes\nt-002;  Huertos   urbanos ;20\n\nT-001;=Compostaje;7.0\n".encode()
    )
    records, errors = engine.read_file(TABLE, path)
    assert errors == []
    assert records == [Workshop("T-002", "Huertos urbanos", 20, ""), Workshop("T-001", "=Compostaje", 7, "")]

    for name in ("a.csv", "a.xlsx"):
        engine.write_file(tmp_path / name, TABLE, records)
        assert engine.read_file(TABLE, tmp_path / name) == (records, [])
    assert (tmp_path / "a.csv").read_text(encoding="utf-8") == (
        "codigo,titulo,cupos,notas\nT-002,Huertos urbanos,20,\nT-001,'=Compostaje,7,\n"  # defused
    )
    engine.write_file(tmp_path / "b.csv", TABLE, engine.read_file(TABLE, tmp_path / "a.csv")[0])
    assert (tmp_path / "b.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()
    rows = files.read_xlsx(tmp_path / "a.xlsx")
    assert rows[0] == (1, ["codigo", "titulo", "cupos", "notas"])
    assert rows[2] == (3, ["T-001", "'=Compostaje", 7, None])  # a number stays a number, text stays text


async def test_import_stores_nothing_on_error_and_upserts_by_code(
    session_factory: Any, tmp_path: Path
) -> None:
    stored: dict[str, Workshop] = {}

    async def upsert(
        _session: AsyncSession, table: Table[Workshop], rows: list[Workshop], _actor: int | None
    ) -> Counts:
        created = updated = 0
        for row in rows:
            before = stored.get(row.code)
            if before is None:
                created += 1
            elif table.texts(before) != table.texts(row):
                updated += 1
            stored[row.code] = row
        return Counts(created, updated, len(rows) - created - updated)

    bad = write(tmp_path / "mal.csv", "codigo,titulo,cupos\nT-001,,5\nT-002,Reciclaje,0\nT-003,Bien,5\n")
    good = write(
        tmp_path / "bien.csv", "codigo,titulo,cupos,notas\nT-001,Huertos,5,\nT-002,Reciclaje,9,sábados\n"
    )
    async with session_factory() as session:
        report = await engine.import_file(session, bad, TABLE, upsert, actor_id=None)
        assert not report.ok and stored == {}
        assert report.summary("es").splitlines() == [
            "No se importó nada: el archivo tiene 2 errores. Corríjalos y vuelva a importarlo.",
            "- Fila 2, columna titulo: falta el título",
            "- Fila 3, columna cupos: los cupos «0» no son válidos: de 1 a 50",
        ]
        first = await engine.import_file(session, good, TABLE, upsert, actor_id=None)
        second = await engine.import_file(session, good, TABLE, upsert, actor_id=None)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert second.summary("es") == "Talleres importados. Nuevos: 0; actualizados: 0; sin cambios: 2."
    assert stored["T-002"] == Workshop("T-002", "Reciclaje", 9, "sábados")


# ---------------------------------------------------------------------------------------------- cell types


def test_date_time_reads_local_forms_and_writes_lima_time(tmp_path: Path) -> None:
    cell = DateTime()
    nine_in_lima = datetime(2026, 12, 12, 14, 0, tzinfo=UTC)  # UTC-5
    for value in (
        "12/12/2026 09:00",
        " 2026-12-12   9:00 ",
        "2026-12-12T09:00:00",  # a date cell of a CSV written by another tool
        datetime(2026, 12, 12, 9, 0),  # an XLSX date cell: naive is America/Lima
        datetime(2026, 12, 12, 9, 0, 41),  # to the minute
        datetime(2026, 12, 12, 10, 0, tzinfo=timezone(timedelta(hours=-4))),
    ):
        got = cell.parse(value)
        assert got == nine_in_lima and got.tzinfo is not None and got.utcoffset() == timedelta(0), value
    assert cell.text(nine_in_lima) == "2026-12-12 09:00"
    assert cell.xlsx(nine_in_lima) == datetime(2026, 12, 12, 9, 0)  # naive local time
    for bad in ("31/02/2026 09:00", "12/12/2026", "mañana 9am", "12/12/26 09:00", date(2026, 12, 12)):
        with pytest.raises(CellError) as exc:
            cell.parse(bad)
        message = exc.value.template.format(**exc.value.params)
        assert message.startswith("fecha y hora no válida: use 12/12/2026 09:00"), message
    with pytest.raises(CellError):
        cell.parse("")
    assert OrEmpty(cell).parse("") is None and OrEmpty(cell).text(None) == ""


def test_yes_no_and_optional_number() -> None:
    cell = YesNo(empty=True)
    assert [cell.parse(v) for v in ("sí", "SI", "Si ", "x", True, "no", "No", 0, "")] == [
        True, True, True, True, True, False, False, False, True,
    ]  # fmt: skip
    assert (cell.text(True), cell.text(False)) == ("sí", "no")
    with pytest.raises(CellError):
        cell.parse("quizás")
    seats = OrEmpty(WholeNumber(0, 100_000, "«{value}» no es un número entero de 0 o más"))
    assert (seats.parse(""), seats.parse("0"), seats.parse(30.0)) == (None, 0, 30)
    assert seats.formula_safe and seats.xlsx(30) == 30 and seats.xlsx(None) is None
    with pytest.raises(CellError):
        seats.parse("-1")


@dataclass(frozen=True)
class Note:
    code: str
    text: str
    degrees: float | None
    when: datetime


NOTES: Table[Note] = Table(
    title="Notas",
    columns=(
        Column(
            "codigo", Code(re.compile(r"^N-\d$"), str.upper, "código «{value}»", missing=None), attr="code"
        ),
        Column("texto", Text(), attr="text"),
        Column("grados", Degrees(), attr="degrees"),
        Column("fecha", DateTime(), attr="when"),
    ),
    record=Note,
    done="{created} {updated} {unchanged}",
)


def test_formulas_are_defused_in_every_export_and_read_back(tmp_path: Path) -> None:
    when = datetime(2026, 12, 12, 14, 0, tzinfo=UTC)
    notes = [
        Note("N-1", '=HYPERLINK("http://x.example","clic")', -16.398803, when),
        Note("N-2", "+51 999 888 777", None, when),
        Note("N-3", "-1", None, when),
        Note("N-4", "@SUM(A1)", None, when),
        Note("N-5", "a = b", None, when),
    ]
    engine.write_file(tmp_path / "n.csv", NOTES, notes)
    with (tmp_path / "n.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["texto"] for r in rows] == [
        '\'=HYPERLINK("http://x.example","clic")', "'+51 999 888 777", "'-1", "'@SUM(A1)", "a = b",
    ]  # fmt: skip
    assert rows[0]["grados"] == "-16.398803" and rows[0]["fecha"] == "2026-12-12 09:00"  # numbers untouched

    engine.write_file(tmp_path / "n.xlsx", NOTES, notes)
    from openpyxl import load_workbook

    ws = load_workbook(tmp_path / "n.xlsx")["Notas"]  # not data_only: a formula would show as one
    texts = [ws.cell(row=r, column=2) for r in range(2, 7)]
    assert all(c.data_type == "s" for c in texts)
    assert [c.value for c in texts][:2] == ['\'=HYPERLINK("http://x.example","clic")', "'+51 999 888 777"]
    assert ws.cell(row=2, column=3).value == -16.398803 and ws.cell(row=2, column=4).is_date

    for name in ("n.csv", "n.xlsx"):
        assert engine.read_file(NOTES, tmp_path / name) == (notes, [])  # the ' comes off again


def test_an_empty_optional_key_is_not_a_repeat(tmp_path: Path) -> None:
    path = write(
        tmp_path / "n.csv", "codigo,texto,grados,fecha\n,uno,,12/12/2026 09:00\n,dos,,12/12/2026 10:00\n"
    )
    records, errors = engine.read_file(NOTES, path)
    assert errors == [] and [r.code for r in records] == ["", ""]
