"""Events as a spreadsheet: every row error at once and nothing imported, new rows get the next code,
upsert by code, and export → import → export is identical in CSV and XLSX; the `peam-bot events` CLI."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from peam_bot import cli
from peam_bot.services import event_sheet, events
from peam_bot.services.event_sheet import COLUMNS
from peam_bot.storage.db import make_engine, make_session_factory, upgrade
from peam_bot.storage.event_models import Event, Mesa
from peam_bot.storage.models import AuditEntry, OutboxMessage
from tests.conftest import FAST_PATHS, PG_URL, reset_postgres

START = datetime(2026, 12, 12, 14, 0, tzinfo=UTC)  # sábado 12 de diciembre de 2026, 9:00 en Lima


async def seed(session: Any, **values: Any) -> Event:
    """EV-0001 (made without the code counter, as tests and old data may be), five seats taken; the
    mesa MESA-MOV is one of those the migrations seed."""
    fields: dict[str, Any] = dict(
        code="EV-0001", kind="taller", title="Taller de movilidad en Cayma", venue="Municipalidad de Cayma",
        address="Plaza de Cayma s/n", latitude=-16.3617, longitude=-71.5486, district="cayma",
        axis="movilidad", starts_at=START, ends_at=START + timedelta(hours=3), capacity=30,
        organizer="AQPlan", walk_ins=True, status="programado", registered=5, description="",
    )  # fmt: skip
    fields.update(values)
    event = Event(**fields)
    session.add(event)
    await session.commit()
    return event


def write_csv(path: Path, rows: list[dict[str, str]], delimiter: str = ",") -> Path:
    header = list(rows[0]) if rows else list(COLUMNS)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def row(**cells: str) -> dict[str, str]:
    base = dict.fromkeys(COLUMNS, "")
    base.update(
        tipo="taller", titulo="Jornada de planificación", lugar="Colegio Independencia",
        inicio="12/12/2026 09:00", fin="12/12/2026 13:00",
    )  # fmt: skip
    base.update(cells)
    return base


async def count(session: Any, model: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_every_row_error_at_once_and_nothing_imported(session_factory: Any, tmp_path: Path) -> None:
    async with session_factory() as session:
        await seed(session)
    rows = [
        row(codigo="EV-0001", titulo="Título nuevo", cupos="4"),  # 2: below the 5 seats taken
        row(codigo="EV-12345x"),  # 3
        row(inicio="31/02/2026 09:00"),  # 4
        row(fin="12/12/2026 08:00"),  # 5: before the start
        row(distrito="Narnia", acepta_sin_inscripcion="quizás"),  # 6: two errors
        row(titulo="", mesa="MESA-XYZ"),  # 7: two errors
        row(latitud="-16.4"),  # 8: no longitude
        row(),  # 9: good, and not imported either
    ]
    path = write_csv(tmp_path / "eventos.csv", rows, delimiter=";")
    async with session_factory() as session:
        report = await event_sheet.import_file(session, path)
        got = {(e.row, e.column): e.message for e in report.errors}
        assert set(got) == {
            (2, "cupos"),
            (3, "codigo"),
            (4, "inicio"),
            (5, "fin"),
            (6, "distrito"),
            (6, "acepta_sin_inscripcion"),
            (7, "titulo"),
            (7, "mesa"),
            (8, "longitud"),
        }
        assert got[(2, "cupos")] == "EV-0001 ya tiene 5 inscritos: los cupos no pueden ser menos"
        assert got[(4, "inicio")].startswith("fecha y hora no válida: use 12/12/2026 09:00")
        assert "Narnia" in got[(6, "distrito")] and "MESA-XYZ" in got[(7, "mesa")]
        summary = report.summary("es")
        assert summary.startswith("No se importó nada: el archivo tiene 9 errores")
        assert "Fila 5, columna fin: el fin debe ser después del inicio" in summary
        await session.rollback()
        assert await count(session, Event) == 1
        event = await events.by_code(session, "EV-0001")
        assert event is not None and event.title == "Taller de movilidad en Cayma" and event.capacity == 30


async def test_import_creates_with_next_codes_and_updates_by_code(
    session_factory: Any, tmp_path: Path
) -> None:
    async with session_factory() as session:
        await seed(session)
    rows = [
        row(codigo="ev-1", titulo="Taller de movilidad (nueva fecha)", cupos="5", estado="Reprogramado",
            inicio="2026-12-19 09:00", fin="2026-12-19 12:00"),
        row(tipo="Sesión de mesa de concertación", mesa="mesa-mov", eje="Movilidad y transporte",
            distrito="José Luis Bustamante y Rivero", cupos="", acepta_sin_inscripcion="no",
            cierre_inscripciones="18/12/2026 18:00", latitud="-16.4", longitud="-71.52", organiza="",
            inicio="19/12/2026 09:00", fin="19/12/2026 12:00"),
        row(tipo="Exposición itinerante", titulo="=Exposición del PEAM", inicio="13/12/2026 10:00",
            fin="14/12/2026 18:00"),
    ]  # fmt: skip
    path = write_csv(tmp_path / "eventos.csv", rows)
    async with session_factory() as session:
        report = await event_sheet.import_file(session, path, actor_id=42)
        assert report.ok, report.summary("es")
        assert (report.created, report.updated, report.unchanged) == (2, 1, 0)
        assert "No se avisó a nadie" in report.summary("es")
        await session.commit()
    async with session_factory() as session:
        found = {e.code: e for e in (await session.execute(select(Event))).scalars()}
        assert sorted(found) == ["EV-0001", "EV-0002", "EV-0003"]  # EV-0001 was taken without the counter
        first, mesa, expo = found["EV-0001"], found["EV-0002"], found["EV-0003"]
        assert (first.title, first.capacity, first.status, first.registered) == (
            "Taller de movilidad (nueva fecha)", 5, "reprogramado", 5,
        )  # fmt: skip
        assert first.starts_at == datetime(2026, 12, 19, 14, 0, tzinfo=UTC)
        assert first.district is None  # an empty cell is empty: the row is the whole event
        assert (mesa.kind, mesa.axis, mesa.district, mesa.capacity, mesa.walk_ins) == (
            "mesa", "movilidad", "jlbyr", None, False,
        )  # fmt: skip
        mesa_row = await session.get(Mesa, mesa.mesa_id)
        assert mesa_row is not None and mesa_row.code == "MESA-MOV"
        assert mesa.registration_deadline == datetime(2026, 12, 18, 23, 0, tzinfo=UTC)
        assert (mesa.organizer, mesa.status, mesa.latitude) == ("AQPlan", "programado", -16.4)
        assert expo.title == "=Exposición del PEAM" and expo.ends_at - expo.starts_at == timedelta(hours=32)
        assert await count(session, OutboxMessage) == 0  # nobody is told
        assert await session.scalar(select(AuditEntry.after).where(AuditEntry.action == "events_import")) == (
            "2 nuevos, 1 actualizados"
        )
        assert await events.next_code(session) == "EV-0004"


async def test_a_code_given_by_hand_is_never_handed_out_again(session_factory: Any, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "eventos.csv", [row(codigo="EV-0040"), row()])
    async with session_factory() as session:
        report = await event_sheet.import_file(session, path)
        assert report.ok and report.created == 2, report.summary("es")
        await session.commit()
        codes = set((await session.execute(select(Event.code))).scalars())
        assert codes == {"EV-0040", "EV-0041"}
        assert await events.next_code(session) == "EV-0042"


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
async def test_export_import_export_is_identical(session_factory: Any, tmp_path: Path, suffix: str) -> None:
    async with session_factory() as session:
        await seed(session, description="Con la Gerencia de Transporte\n«ñandú»", capacity=None)
    path = write_csv(
        tmp_path / "nuevos.csv",
        [
            row(
                tipo="mesa",
                mesa="MESA-MOV",
                cierre_inscripciones="11/12/2026 12:00",
                acepta_sin_inscripcion="no",
            ),
            row(titulo="@Presentación pública", tipo="presentacion", estado="cancelado", cupos="0"),
        ],
    )
    async with session_factory() as session:
        assert (await event_sheet.import_file(session, path)).ok
        await session.commit()
    first, second = tmp_path / f"a{suffix}", tmp_path / f"b{suffix}"
    async with session_factory() as session:
        assert await event_sheet.export_file(session, first) == 3
        before = await event_sheet.export_rows(session)
    async with session_factory() as session:
        report = await event_sheet.import_file(session, first)
        assert (report.created, report.updated, report.unchanged) == (0, 0, 3), report.summary("es")
        await session.commit()
    async with session_factory() as session:
        assert await event_sheet.export_rows(session) == before
        await event_sheet.export_file(session, second)
    if suffix == ".csv":
        assert first.read_bytes() == second.read_bytes()
        with first.open(encoding="utf-8", newline="") as f:
            exported = list(csv.DictReader(f))
        assert list(exported[0]) == list(COLUMNS)
        assert (exported[0]["inicio"], exported[0]["fin"], exported[0]["cupos"]) == (
            "2026-12-12 09:00", "2026-12-12 12:00", "",
        )  # fmt: skip
        assert exported[1]["cierre_inscripciones"] == "2026-12-11 12:00"
        assert (exported[1]["mesa"], exported[1]["acepta_sin_inscripcion"]) == ("MESA-MOV", "no")
        assert exported[2]["titulo"] == "'@Presentación pública"  # defused
    else:
        from openpyxl import load_workbook

        ws = load_workbook(first)["Eventos"]
        header = [c.value for c in ws[1]]
        assert header == list(COLUMNS)
        start = ws.cell(row=2, column=header.index("inicio") + 1)
        assert start.value == datetime(2026, 12, 12, 9, 0) and start.is_date  # naive Lima time
        assert ws.cell(row=2, column=header.index("latitud") + 1).value == -16.3617
        assert [r.code for r in before] == ["EV-0001", "EV-0002", "EV-0003"]


# ---------------------------------------------------------------------------------------------- CLI


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The database the CLI opens: PostgreSQL when the suite runs on it, else a SQLite file."""
    url = PG_URL or f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    if PG_URL:
        asyncio.run(reset_postgres(PG_URL))
    monkeypatch.chdir(tmp_path)  # no .env from the working directory
    for var in ("PEAM_BOT_TOKEN", "PEAM_WEBHOOK_URL", "PEAM_REDIS_URL", "PEAM_LOG_LEVEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PEAM_DATABASE_URL", url)
    monkeypatch.setenv("PEAM_CLI_LANG", "es")
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_cli_events_import_and_export(
    cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = write_csv(tmp_path / "mal.csv", [row(inicio="mañana"), row(fin="")])
    code, out, _err = run(capsys, "events", "import", str(bad))
    assert code == 1 and out[0].startswith("No se importó nada: el archivo tiene 2 errores")
    assert out[1].startswith("- Fila 2, columna inicio: fecha y hora no válida")

    good = write_csv(tmp_path / "bien.csv", [row(), row(titulo="Taller de Yura", distrito="yura")])
    assert run(capsys, "events", "import", str(good))[:2] == (
        0,
        ["Eventos importados. Nuevos: 2; actualizados: 0; sin cambios: 0. No se avisó a nadie."],
    )
    out_path = tmp_path / "eventos.xlsx"
    assert run(capsys, "events", "export", str(out_path))[:2] == (
        0,
        [f"Se exportaron 2 eventos a {out_path}."],
    )
    assert run(capsys, "events", "import", str(out_path))[1] == [
        "Eventos importados. Nuevos: 0; actualizados: 0; sin cambios: 2. No se avisó a nadie."
    ]
    assert run(capsys, "events", "export", str(tmp_path / "eventos.ods"))[0] == 2

    async def titles() -> list[str]:
        engine = make_engine(cli_db, fast_paths=FAST_PATHS)
        try:
            await upgrade(engine)
            async with make_session_factory(engine)() as session:
                return list((await session.execute(select(Event.title).order_by(Event.code))).scalars())
        finally:
            await engine.dispose()

    assert asyncio.run(titles()) == ["Jornada de planificación", "Taller de Yura"]
    monkeypatch.setenv("PEAM_CLI_LANG", "en")
    code, out, _err = run(capsys, "events", "export", "--help")
    assert code == 0 and "same format the import reads" in " ".join(out)
