"""The spreadsheet engine with a table of its own (not the portfolio): every row error at once, records
from a clean file, nothing imported on error, and a round trip through CSV and XLSX."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from peam_bot.services.spreadsheet import engine, files
from peam_bot.services.spreadsheet.engine import Counts
from peam_bot.services.spreadsheet.schema import Code, Column, Table, Text, WholeNumber


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
        "codigo,titulo,cupos,notas\nT-002,Huertos urbanos,20,\nT-001,=Compostaje,7,\n"
    )
    engine.write_file(tmp_path / "b.csv", TABLE, engine.read_file(TABLE, tmp_path / "a.csv")[0])
    assert (tmp_path / "b.csv").read_bytes() == (tmp_path / "a.csv").read_bytes()
    rows = files.read_xlsx(tmp_path / "a.xlsx")
    assert rows[0] == (1, ["codigo", "titulo", "cupos", "notas"])
    assert rows[2] == (3, ["T-001", "=Compostaje", 7, None])  # a number stays a number, text stays text


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
