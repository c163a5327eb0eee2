"""Cartera Abierta de Proyectos: spreadsheet import/export, browsing, following, timeline notices."""

from __future__ import annotations

import csv
import html
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from peam_bot.services import initiatives, portfolio, portfolio_sheet, users
from peam_bot.services.initiatives import InvalidInput
from peam_bot.services.portfolio_sheet import COLUMNS, SAMPLE_PATH
from peam_bot.services.spreadsheet import schema
from peam_bot.storage.models import OutboxMessage, Project, ProjectChange, ProjectInitiative

PLAZA_DE_ARMAS = (-16.3989, -71.5369)


async def count(session: Any, model: Any) -> int:
    return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


def sample_rows() -> list[dict[str, str]]:
    with SAMPLE_PATH.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path: Path, rows: list[list[str]], delimiter: str = ",", bom: bool = False) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as f:
        csv.writer(f, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return path


async def test_sample_portfolio_loads_and_covers_districts_axes_phases(session_factory: Any) -> None:
    async with session_factory() as session:
        assert await portfolio_sheet.load_sample(session) >= 60
        await session.commit()
    async with session_factory() as session:
        assert await portfolio_sheet.load_sample(session) == 0  # only into an empty portfolio
        total = await count(session, Project)
        assert total >= 60
        districts = await portfolio.facet_counts(session, "district")
        assert len(districts) == 19 and districts[0][0] == "alto-selva-alegre"
        axes = await portfolio.facet_counts(session, "axis")
        assert [a for a, _n in axes] == [
            "urbano",
            "movilidad",
            "ambiente",
            "economia",
            "social",
            "cultura",
            "gobernabilidad",
        ]
        assert sum(n for _a, n in axes) == total
        phases = await portfolio.facet_counts(session, "phase")
        assert [p for p, _n in phases] == list(portfolio.PHASES)
        assert sum(n for _p, n in phases) == total
        for project in (await portfolio.list_projects(session, limit=1000))[0]:
            if project.phase == "concluido":
                assert project.progress == 100
            if project.phase in ("idea", "perfil", "expediente_tecnico", "en_financiamiento"):
                assert project.progress == 0


async def test_browse_filters_and_pagination(session_factory: Any) -> None:
    async with session_factory() as session:
        await portfolio_sheet.load_sample(session)
        await session.commit()
    async with session_factory() as session:
        page, total = await portfolio.list_projects(session, district="sabandia")
        assert total == 3 and [p.code for p in page] == ["P-008", "P-009", "P-048"]
        assert [d.district for d in page[2].districts] == ["characato", "sabandia", "mollebaya"]
        page, total = await portfolio.list_projects(session, axis="cultura", phase="concluido")
        assert total == len(page) and {p.code for p in page} == {"P-009", "P-016", "P-038"}
        seen: list[str] = []
        everything = await count(session, Project)
        for offset in range(0, everything + 8, 8):
            page, total = await portfolio.list_projects(session, offset=offset, limit=8)
            assert total == everything and len(page) <= 8
            seen += [p.code for p in page]
        assert seen == sorted(seen) and len(set(seen)) == everything
        assert (await portfolio.list_projects(session, phase="no-such-phase")) == ([], 0)

        project = await portfolio.get_project(session, " p-001 ")
        assert project is not None and project.name == "Puente Chilina – segunda etapa"
        assert project.estimated_cost == Decimal("98500000.00")
        assert [(f.source, f.year) for f in project.funding] == [
            ("gobierno_regional", None),
            ("plan_inversiones", 2026),
        ]
        assert "chilina" in project.search_text and "cayma" in project.search_text
        assert await portfolio.get_project(session, "P-999") is None
        assert await portfolio.get_project(session, "INI-2026-00001") is None


async def test_nearest_projects_in_order(session_factory: Any) -> None:
    async with session_factory() as session:
        await portfolio_sheet.load_sample(session)
        found = await portfolio.nearest(session, *PLAZA_DE_ARMAS, limit=5)
        assert len(found) == 5
        assert found[0][0].code == "P-011" and found[0][1] < 100  # the Centro Histórico cycle lanes
        distances = [d for _p, d in found]
        assert distances == sorted(distances)
        everything = await portfolio.nearest(session, *PLAZA_DE_ARMAS, limit=1000)
        located = (
            await session.execute(select(func.count()).where(Project.latitude.is_not(None)))
        ).scalar_one()
        assert len(everything) == located < await count(session, Project)  # some have no location
        assert everything[-1][0].code == "P-010"  # Yura termal is the farthest


async def test_import_reports_every_error_and_imports_nothing(session_factory: Any, tmp_path: Path) -> None:
    header = [
        "Código",
        "Nombre",
        "Descripción",
        "Eje",
        "Distritos (separados por |)",
        "Latitud",
        "Longitud",
        "Fase",
        "Prioridad",
        "Costo estimado",
        "Presupuesto aprobado",
        "Fuentes",
        "Avance",
        "Responsable",
    ]
    good = ["P-001", "Obra", "", "movilidad", "cayma", "", "", "idea", "alta", "", "", "", "0", ""]

    def row(**changes: str) -> list[str]:
        cells = dict(zip(COLUMNS, good, strict=True))
        cells.update(changes)
        return [cells[c] for c in COLUMNS]

    rows = [
        header,
        row(codigo="P-12"),  # 2: bad code
        row(codigo="P-002", distritos="Cayma|Narnia"),  # 3: unknown district
        row(codigo="P-003", fase="empezado"),  # 4: unknown phase
        row(codigo="P-004", costo_estimado="-1500"),  # 5: negative money
        row(codigo="P-005", avance="120"),  # 6: progress out of range
        row(codigo="P-006", nombre=""),  # 7: missing name
        row(codigo="P-002"),  # 8: duplicate code in the file
        row(codigo="P-007", latitud="-71.53", longitud="-16.39", fuentes="plan_inversiones"),  # 9: two errors
        row(codigo="P-008"),  # a good row: not imported either
    ]
    path = write_csv(tmp_path / "cartera.csv", rows, delimiter=";", bom=True)
    async with session_factory() as session:
        report = await portfolio_sheet.import_file(session, path, actor_id=42)
        got = {(e.row, e.column) for e in report.errors}
        assert got == {
            (2, "codigo"),
            (3, "distritos"),
            (4, "fase"),
            (5, "costo_estimado"),
            (6, "avance"),
            (7, "nombre"),
            (8, "codigo"),
            (9, "latitud"),
            (9, "fuentes"),
        }
        by_cell = {(e.row, e.column): e.message for e in report.errors}
        assert "P-12" in by_cell[(2, "codigo")]
        assert "Narnia" in by_cell[(3, "distritos")] and "Cayma" not in by_cell[(3, "distritos")]
        assert "fila 3" in by_cell[(8, "codigo")]
        assert "negativo" in by_cell[(5, "costo_estimado")]
        assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
        summary = report.summary("es")
        assert summary.startswith("No se importó nada") and "Fila 9, columna fuentes" in summary
        assert await count(session, Project) == 0 and await count(session, ProjectChange) == 0

    bad_header = write_csv(tmp_path / "sin_fase.csv", [[c for c in COLUMNS if c != "fase"]])
    missing = write_csv(tmp_path / "cartera.ods", [list(COLUMNS)])
    async with session_factory() as session:
        report = await portfolio_sheet.import_file(session, bad_header, actor_id=None)
        assert [(e.row, e.column) for e in report.errors] == [(1, "fase")]
        report = await portfolio_sheet.import_file(session, missing, actor_id=None)
        assert len(report.errors) == 1 and report.errors[0].row == 0 and ".ods" in report.errors[0].message
        report = await portfolio_sheet.import_file(session, tmp_path / "no-existe.csv", actor_id=None)
        assert not report.ok


async def test_import_accepts_labels_and_local_money_and_exports_canonical(
    session_factory: Any, tmp_path: Path
) -> None:
    canonical = sample_rows()[:3]
    human: list[list[str]] = [list(COLUMNS)]
    for r in canonical:
        cells = dict(r)
        cells["codigo"] = cells["codigo"].lower()
        cells["fase"] = {"en_ejecucion": "En ejecución", "expediente_tecnico": "EXPEDIENTE TÉCNICO"}.get(
            cells["fase"], cells["fase"]
        )
        cells["eje"] = {"movilidad": "Movilidad y transporte", "urbano": "desarrollo urbano y territorial"}[
            cells["eje"]
        ]
        cells["distritos"] = (
            cells["distritos"].replace("jlbyr", "José Luis Bustamante y Rivero").replace("cayma", " Cayma ")
        )
        if cells["costo_estimado"]:
            amount = Decimal(cells["costo_estimado"])
            cells["costo_estimado"] = "S/ " + f"{amount:,.2f}"  # S/ 98,500,000.00
        if cells["presupuesto_aprobado"]:
            amount = Decimal(cells["presupuesto_aprobado"])
            cells["presupuesto_aprobado"] = f"{amount:,.2f}".replace(",", " ").replace(
                ".", ","
            )  # 92 300 000,00
        cells["avance"] += " %"
        human.append([cells[c] for c in COLUMNS])
    path = write_csv(tmp_path / "humano.csv", human, delimiter=";", bom=True)
    async with session_factory() as session:
        report = await portfolio_sheet.import_file(session, path, actor_id=None)
        assert report.ok, report.summary("es")
        assert report.created == 3
        await session.commit()
    out = tmp_path / "export.csv"
    async with session_factory() as session:
        assert await portfolio_sheet.export_file(session, out) == 3
    expected = SAMPLE_PATH.read_bytes().split(b"\n")[:4]
    assert out.read_bytes() == b"\n".join(expected) + b"\n"


async def test_import_twice_changes_nothing_then_records_changes(
    session_factory: Any, tmp_path: Path
) -> None:
    async with session_factory() as session:
        first = await portfolio_sheet.import_file(session, SAMPLE_PATH, actor_id=7)
        assert (first.updated, first.unchanged) == (0, 0) and first.created >= 60
        await session.commit()
    async with session_factory() as session:
        changes_before = await count(session, ProjectChange)
        assert changes_before == first.created  # one "created" record each
        second = await portfolio_sheet.import_file(session, SAMPLE_PATH, actor_id=7)
        assert (second.created, second.updated, second.unchanged) == (0, 0, first.created)
        assert f"sin cambios: {first.created}" in second.summary("es")
        await session.commit()
        assert await count(session, ProjectChange) == changes_before

    rows = sample_rows()
    rows[2]["fase"], rows[2]["avance"] = "en_ejecucion", "5"
    rows[2]["distritos"] = "cayma"
    rows[2]["fuentes"] = "plan_inversiones:2028"
    rows.append(dict(rows[0], codigo="P-900", nombre="Proyecto nuevo de prueba"))
    edited = write_csv(tmp_path / "editado.csv", [list(COLUMNS)] + [[r[c] for c in COLUMNS] for r in rows])
    async with session_factory() as session:
        third = await portfolio_sheet.import_file(session, edited, actor_id=8)
        assert (third.created, third.updated, third.unchanged) == (1, 1, first.created - 1)
        await session.commit()
    async with session_factory() as session:
        project = await portfolio.get_project(session, "P-003")
        assert project is not None and project.phase == "en_ejecucion" and project.progress == 5
        assert project.district_slugs == ["cayma"]
        assert [(f.source, f.year) for f in project.funding] == [("plan_inversiones", 2028)]
        changes = (
            (
                await session.execute(
                    select(ProjectChange)
                    .where(ProjectChange.project_id == project.id, ProjectChange.actor_id == 8)
                    .order_by(ProjectChange.id)
                )
            )
            .scalars()
            .all()
        )
        assert [(c.field, c.before, c.after, c.source) for c in changes] == [
            ("districts", "yanahuara|cayma", "cayma", "import"),
            ("phase", "en_financiamiento", "en_ejecucion", "import"),
            ("funding", "plan_inversiones:2027|gobierno_regional", "plan_inversiones:2028", "import"),
            ("progress", "0", "5", "import"),
        ]


async def test_export_round_trip_csv_and_xlsx(session_factory: Any, tmp_path: Path) -> None:
    async with session_factory() as session:
        await portfolio_sheet.import_file(session, SAMPLE_PATH, actor_id=None)
        await session.commit()
    async with session_factory() as session:
        n = await portfolio_sheet.export_file(session, tmp_path / "a.csv")
        assert n == await count(session, Project)
        assert await portfolio_sheet.export_file(session, tmp_path / "a.xlsx") == n
    assert (tmp_path / "a.csv").read_bytes() == SAMPLE_PATH.read_bytes()  # canonical: byte-identical

    for name in ("a.csv", "a.xlsx"):
        async with session_factory() as session:
            report = await portfolio_sheet.import_file(session, tmp_path / name, actor_id=None)
            assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, n, [])
            await session.commit()
    async with session_factory() as session:
        await portfolio_sheet.export_file(session, tmp_path / "b.csv")
    assert (tmp_path / "b.csv").read_bytes() == SAMPLE_PATH.read_bytes()

    from openpyxl import load_workbook

    wb = load_workbook(tmp_path / "a.xlsx", read_only=True)
    first = next(wb.worksheets[0].iter_rows(values_only=True))
    assert list(first) == list(COLUMNS) and wb.sheetnames == ["Cartera", "Instrucciones"]
    wb.close()

    # the XLSX also imports into an empty database and gives the same portfolio
    async with session_factory() as session:
        for project in (await session.execute(select(Project))).scalars():
            await session.delete(project)
        await session.commit()
    async with session_factory() as session:
        report = await portfolio_sheet.import_file(session, tmp_path / "a.xlsx", actor_id=None)
        assert report.created == n
        await session.commit()
    async with session_factory() as session:
        await portfolio_sheet.export_file(session, tmp_path / "c.csv")
    assert (tmp_path / "c.csv").read_bytes() == SAMPLE_PATH.read_bytes()


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1234.50", "1234.50"),
        ("1 234,50", "1234.50"),
        ("S/ 1,234.50", "1234.50"),
        ("S/. 1.234.567,8", "1234567.80"),
        ("1,234", "1234.00"),
        ("12,5", "12.50"),
        ("", None),
        (1234.5, "1234.50"),
    ],
)
def test_money_formats(typed: object, amount: str | None) -> None:
    assert schema.parse_money(typed) == (Decimal(amount) if amount else None)


def test_progress_bar() -> None:
    assert portfolio.progress_bar(30) == "▰▰▰▱▱▱▱▱▱▱ 30 %"
    assert portfolio.progress_bar(0) == "▱" * 10 + " 0 %"
    assert portfolio.progress_bar(100, width=5) == "▰" * 5 + " 100 %"
    assert portfolio.progress_bar(150) == "▰" * 10 + " 100 %"


async def test_follow_unfollow_and_initiative_link(session_factory: Any) -> None:
    async with session_factory() as session:
        await portfolio_sheet.load_sample(session)
        rosa = await users.accept_consent(session, 700_001, "es")
        p1 = await portfolio.get_project(session, "P-001")
        p2 = await portfolio.get_project(session, "P-002")
        assert p1 is not None and p2 is not None
        assert await portfolio.follow(session, p1.id, rosa.id) is True
        assert await portfolio.follow(session, p1.id, rosa.id) is False
        assert await portfolio.is_following(session, p1.id, rosa.id)
        assert await portfolio.followers_count(session, p1.id) == 1
        assert [p.code for p in await portfolio.followed_by(session, rosa.id)] == ["P-001"]
        assert await portfolio.unfollow(session, p1.id, rosa.id) is True
        assert await portfolio.unfollow(session, p1.id, rosa.id) is False
        assert await portfolio.followers_count(session, p1.id) == 0
        assert await portfolio.followed_by(session, rosa.id) == []

        draft = initiatives.Draft(
            title="Veredas en la Av. Ejército",
            description="Las veredas están rotas frente al colegio y los niños caminan por la pista.",
            district="yanahuara",
            theme="movilidad",
        )
        ini = await initiatives.submit(session, rosa.id, draft, staff_chat_id=None, tz_year=2026)
        for _ in range(2):
            await portfolio.link_initiative(session, p2.id, ini.id, rosa.id)
        await session.commit()
    async with session_factory() as session:
        assert await count(session, ProjectInitiative) == 1
        assert await portfolio.linked_initiatives(session, p2.id) == [ini.id]
        assert [p.code for p in await portfolio.followed_by(session, 700_001)] == ["P-002"]


def visible(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


async def test_add_update_records_changes_and_notifies_followers(session_factory: Any) -> None:
    async with session_factory() as session:
        await portfolio_sheet.load_sample(session)
        project = await portfolio.get_project(session, "P-012")
        assert project is not None and project.phase == "en_ejecucion" and project.progress == 55
        rosa = await users.accept_consent(session, 1001, "es")
        john = await users.accept_consent(session, 1002, "en")
        gone = await users.accept_consent(session, 1003, "es")
        await users.accept_consent(session, 1004, "es")  # does not follow
        for u in (rosa, john, gone):
            await portfolio.follow(session, project.id, u.id)
        await users.mark_unreachable(session, gone.id)

        for bad in (
            {"text": "ok"},
            {"text": "Avance del enrocado", "new_phase": "terminado"},
            {"text": "Avance del enrocado", "new_progress": 120},
        ):
            with pytest.raises(InvalidInput):
                await portfolio.add_update(session, project, 9, **bad)
        assert await count(session, OutboxMessage) == 0

        upd = await portfolio.add_update(
            session,
            project,
            9,
            "Se terminó el enrocado del tramo <Tiabaya> & Sachaca.",
            new_phase="concluido",
            new_progress=100,
        )
        await session.commit()
        pid, uid = project.id, upd.id

    async with session_factory() as session:
        project = await portfolio.get_project(session, "P-012")
        assert project is not None
        assert (project.phase, project.progress) == ("concluido", 100)
        assert [u.id for u in project.updates] == [uid]
        assert (project.updates[0].new_phase, project.updates[0].new_progress) == ("concluido", 100)
        changes = (
            (await session.execute(select(ProjectChange).where(ProjectChange.project_id == pid)))
            .scalars()
            .all()
        )
        bot = [(c.field, c.before, c.after, c.actor_id) for c in changes if c.source == "bot"]
        assert bot == [
            ("update", None, "Se terminó el enrocado del tramo <Tiabaya> & Sachaca.", 9),
            ("phase", "en_ejecucion", "concluido", 9),
            ("progress", "55", "100", 9),
        ]
        rows = (await session.execute(select(OutboxMessage).order_by(OutboxMessage.chat_id))).scalars().all()
        assert [(r.chat_id, r.kind) for r in rows] == [(1001, "text"), (1002, "text")]  # not 1003, not 1004
        es, en = rows[0].payload["text"], rows[1].payload["text"]
        assert es == portfolio.update_message(project, project.updates[0], "es")
        assert en == portfolio.update_message(project, project.updates[0], "en")
        assert "&lt;Tiabaya&gt; &amp; Sachaca" in es and "<Tiabaya>" not in es
        assert "P-012" in es and "/estado P-012" in es and "Concluido" in es and "▰" * 10 + " 100 %" in es
        assert project.name in visible(es)

        # a photo update: one photo per follower, the caption within Telegram's 1024 characters
        long_text = "Vista del tramo terminado. " * 70
        await portfolio.add_update(session, project, 9, long_text[:2000], photo_file_id="AgAD-photo")
        await session.commit()
        photos = (
            (await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "photo")))
            .scalars()
            .all()
        )
        assert sorted(p.chat_id for p in photos) == [1001, 1002]
        for p in photos:
            assert p.payload["photo"] == "AgAD-photo"
            command = "/estado P-012" if p.chat_id == 1001 else "/status P-012"  # each follower's language
            assert len(visible(p.payload["caption"])) <= 1024 and command in p.payload["caption"]
            assert "Nueva fase" not in p.payload["caption"]  # nothing but the text changed


async def test_import_windows_csv_and_hand_made_xlsx(session_factory: Any, tmp_path: Path) -> None:
    """What Excel writes: a "CSV" in Windows-1252 with `;`, or a workbook with number cells."""
    row = ["P-101", "Andenes de Sabandía", "", "Cultura y patrimonio", "Sabandía", "-16,456", "-71,493"]
    row += ["Perfil", "Alta", "S/ 3 450 000", "", "Cooperación internacional", "0", "Comité de Sabandía"]
    path = tmp_path / "excel.csv"
    path.write_bytes(("\r\n".join(";".join(r) for r in [COLUMNS, row]) + "\r\n").encode("cp1252"))

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Cartera de proyectos 2027"])  # a title above the header is skipped
    ws.append([c.upper() for c in COLUMNS])
    ws.append(["P-102", "Molino", None, "cultura", "sabandia", -16.457, -71.492, "concluido", "media"])
    ws.append([None] * len(COLUMNS))  # blank rows are ignored
    ws.append(
        ["P-103", "Obra", None, "cultura", "sabandia", None, None, "idea", "media", -5, None, None, 0.5]
    )
    ws["J3"], ws["K3"], ws["L3"], ws["M3"], ws["N3"] = (
        1850000,
        1790000.004,
        "municipal|privado",
        100,
        "Comité",
    )
    book = tmp_path / "libro.xlsx"
    wb.save(book)

    async with session_factory() as session:
        report = await portfolio_sheet.import_file(session, book, actor_id=None)
        assert [(e.row, e.column) for e in report.errors] == [(5, "costo_estimado"), (5, "avance")]
        ws.delete_rows(5)
        wb.save(book)
        report = await portfolio_sheet.import_file(session, book, actor_id=None)
        assert report.ok and report.created == 1, report.summary("es")
        report = await portfolio_sheet.import_file(session, path, actor_id=None)
        assert report.ok and report.created == 1, report.summary("es")
        await session.commit()
    async with session_factory() as session:
        p101 = await portfolio.get_project(session, "P-101")
        assert p101 is not None and p101.name == "Andenes de Sabandía" and p101.axis == "cultura"
        assert (p101.latitude, p101.longitude, p101.phase, p101.priority) == (
            -16.456,
            -71.493,
            "perfil",
            "alta",
        )
        assert p101.estimated_cost == Decimal("3450000.00") and p101.district_slugs == ["sabandia"]
        assert [(f.source, f.year) for f in p101.funding] == [("cooperacion_internacional", None)]
        p102 = await portfolio.get_project(session, "P-102")
        assert p102 is not None and p102.approved_budget == Decimal("1790000.00") and p102.progress == 100


async def test_portfolio_export_defuses_formulas_and_reads_them_back(
    session_factory: Any, tmp_path: Path
) -> None:
    async with session_factory() as session:
        await portfolio_sheet.load_sample(session)
        project = await portfolio.get_project(session, "P-001")
        assert project is not None
        project.name, project.responsible = '=HYPERLINK("http://x.example")', "@Comité"
        await session.commit()
    for name in ("cartera.csv", "cartera.xlsx"):
        path = tmp_path / name
        async with session_factory() as session:
            await portfolio_sheet.export_file(session, path)
            if name.endswith(".csv"):
                first = sample = next(
                    r for r in csv.DictReader(path.open(encoding="utf-8")) if r["codigo"] == "P-001"
                )
                assert (sample["nombre"], sample["responsable"]) == (
                    '\'=HYPERLINK("http://x.example")',
                    "'@Comité",
                )
                assert first["latitud"].startswith("-16.")  # a number is not defused
            report = await portfolio_sheet.import_file(session, path, actor_id=None)
            assert report.ok and report.updated == 0 and report.created == 0, report.summary("es")
