"""The portfolio through the bot: browse, card, search, nearest, follow → notification, inline,
deep links, and the staff's timeline update and spreadsheet import."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram
from peam_bot.services import portfolio_sheet
from peam_bot.storage.models import AuditEntry, OutboxMessage, Project, ProjectUpdate
from peam_bot.telegram.app import App
from tests.conftest import StartApp, onboard

STAFF_ID = 950_001


@pytest.fixture
async def app(start_app: StartApp) -> App:
    app = await start_app(admin_ids=[STAFF_ID])
    async with app.session_factory() as s, s.begin():
        assert await portfolio_sheet.load_sample(s) >= 60
    return app


async def test_browse_by_district_with_pages_and_card(app: App, resident: User) -> None:
    await onboard(resident)
    await resident.send("/proyectos")
    (menu,) = await resident.replies(1)
    assert "proyectos" in menu.plain
    await resident.press("Por distrito")
    (facets,) = await resident.replies(1)
    labels = [t for row in facets.buttons() for t, _ in row]
    cercado = next(label for label in labels if label.startswith("Arequipa (Cercado)"))
    count = int(cercado.rsplit("(", 1)[1].rstrip(")"))
    await resident.press(cercado)
    (page1,) = await resident.replies(1)
    assert "página 1 de" in page1.plain
    if count > 8:
        await resident.press("Siguiente")
        (page2,) = await resident.replies(1)
        assert "página 2 de" in page2.plain
        await resident.press("Anterior")
        await resident.replies(1)
    first = resident.last().buttons()[0][0][0]
    await resident.press(first)
    (card,) = await resident.replies(1)
    code = first.split(" · ")[0]
    assert code in card.plain and "Fase:" in card.plain and "Avance:" in card.plain and "%" in card.plain
    assert "Arequipa (Cercado)" in card.plain and "Vecinos que siguen este proyecto:" in card.plain


async def test_search_with_typos_and_no_result(app: App, resident: User) -> None:
    await onboard(resident)
    await resident.send("puente chilna")
    (found,) = await resident.replies(1)
    assert found.buttons()[0][0][0].startswith("P-001")
    await resident.send("/buscar malecon tingo")
    (found,) = await resident.replies(1)
    assert "Malecón del río Chili en Tingo" in found.plain
    await resident.send("xqzwv plorf")
    (none,) = await resident.replies(1)
    assert "No encontré nada" in none.plain and "Por distrito" in none.buttons()[0][0][0]
    await resident.send("/estado p-12")
    (card,) = await resident.replies(1)
    assert "P-012" in card.plain and "Defensa ribereña" in card.plain


async def test_nearest_projects(app: App, resident: User) -> None:
    await onboard(resident)
    await resident.send("/proyectos")
    (projects,) = await resident.replies(1)
    await resident.press("Cerca de mí")
    (ask,) = await resident.replies(1)
    assert ask.reply_markup["keyboard"][0][0]["request_location"] is True
    await resident.send_location(-16.3870, -71.5300)
    _menu, near = await resident.replies(2)
    assert "P-001" in near.plain.splitlines()[1] and " m" in near.plain.splitlines()[1]
    # words typed instead of a location are searched, not dropped; ✖️ Cancelar just ends the wait
    await resident.press("Cerca de mí", projects)
    await resident.replies(1)
    await resident.send("malecon tingo")
    menu, found = await resident.replies(2)
    assert "No busqué por cercanía" in menu.plain and "keyboard" in menu.reply_markup
    assert "Malecón del río Chili en Tingo" in found.plain
    await resident.press("Cerca de mí", projects)
    await resident.replies(1)
    await resident.send("✖️ Cancelar")
    (done,) = await resident.replies(1)
    assert done.plain == "Listo, no busqué por cercanía."


async def test_follow_update_notifies_and_unfollow_stops(app: App, resident: User, tg: FakeTelegram) -> None:
    await onboard(resident)
    await resident.send("/estado P-001")
    (card,) = await resident.replies(1)
    assert "siguen este proyecto: 0" in card.plain
    await resident.press("Seguir")
    (card,) = await resident.replies(1)
    assert (
        card.edited
        and "siguen este proyecto: 1" in card.plain
        and "Dejar de seguir" in card.buttons()[0][0][0]
    )
    await resident.send("/siguiendo")
    (mine,) = await resident.replies(1)
    assert "P-001" in mine.plain

    staff = User(tg, STAFF_ID, "Carla")
    await onboard(staff)
    await staff.send("/estado P-001")
    (card,) = await staff.replies(1)
    await staff.press("Agregar novedad")
    await staff.replies(1)
    await staff.send("Se terminó el vaciado de la losa del acceso norte.")
    await staff.replies(1)
    await staff.press("Sin foto")
    await staff.replies(1)
    await staff.press("En ejecución")
    await staff.replies(1)
    await staff.press("60 %")
    _e, confirm = await staff.replies(2)
    assert "Seguidores a los que se avisará: 1." in confirm.plain
    await staff.press("Publicar")
    _e, done = await staff.replies(2)
    assert "Publicado" in done.plain

    (notice,) = await resident.replies(1, timeout=10)
    assert "P-001" in notice.plain and "losa del acceso norte" in notice.plain and "60 %" in notice.plain
    async with app.session_factory() as s:
        project = (await s.execute(select(Project).where(Project.code == "P-001"))).scalar_one()
        assert project.progress == 60 and project.updates[-1].author_id == STAFF_ID
        entry = (await s.execute(select(AuditEntry).where(AuditEntry.target == "P-001"))).scalar_one()
        assert (
            entry.action == "project_update"
            and entry.actor_id == STAFF_ID
            and "progress: 60" in (entry.after or "")
        )

    await resident.send("/estado P-001")
    await resident.replies(1)
    await resident.press("Dejar de seguir")
    await resident.replies(1)
    await staff.send("/estado P-001")
    await staff.replies(1)
    await staff.press("Agregar novedad")
    await staff.replies(1)
    await staff.send("Segunda novedad sin seguidores.")
    await staff.replies(1)
    await staff.press("Sin foto")
    await staff.replies(1)
    await staff.press("Sin cambio de fase")
    await staff.replies(1)
    await staff.press("Sin cambio de avance")
    await staff.replies(2)
    uid = await staff.press("Publicar")
    await staff.replies(2)
    assert await app.wait_handled(uid)
    async with app.session_factory() as s:
        assert (await s.execute(select(func.count()).select_from(ProjectUpdate))).scalar_one() >= 2
        notices = (
            await s.execute(select(OutboxMessage).where(OutboxMessage.chat_id == resident.chat_id))
        ).all()
        assert len(notices) == 1


async def test_resident_cannot_add_updates(app: App, resident: User) -> None:
    await onboard(resident)
    await resident.send("/estado P-001")
    (card,) = await resident.replies(1)
    assert not any("Agregar novedad" in t for row in card.buttons() for t, _ in row)
    uid = await resident.press_data("pj:upd:P-001", card.message_id)
    assert await app.wait_handled(uid)
    assert resident.callback_answers[-1]["text"] == "Esta opción no está disponible."


async def test_inline_query_offers_cards_with_deep_link(app: App, resident: User) -> None:
    await onboard(resident)
    results = await resident.inline_query("chilina")
    assert results and any(r["id"] == "P-001" for r in results)
    first = next(r for r in results if r["id"] == "P-001")
    url = first["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert url.endswith("?start=proyecto_P-001")


async def test_deep_link_to_project_before_and_after_onboarding(app: App, tg: FakeTelegram) -> None:
    newcomer = User(tg, 950_010)
    await newcomer.send("/start proyecto_P-002")
    await newcomer.replies(2)
    await newcomer.press("Acepto")
    await newcomer.replies(2)
    await newcomer.press("Sachaca")
    _confirm, _menu, card = await newcomer.replies(3)
    assert "P-002" in card.plain and "Malecón" in card.plain
    await newcomer.send("/start proyecto_P-002")  # known now: straight to the card
    card = await newcomer.reply()
    assert "P-002" in card.plain


async def test_staff_imports_a_spreadsheet_by_sending_it(app: App, tg: FakeTelegram, tmp_path: Path) -> None:
    staff = User(tg, STAFF_ID)
    await onboard(staff)
    async with app.session_factory() as s:
        path = tmp_path / "cartera.csv"
        await portfolio_sheet.export_file(s, path)
    data = path.read_text(encoding="utf-8")
    bad = data.replace("P-003,", "P-3,", 1).replace(",en_ejecucion,", ",en ejecucionn,", 1)
    await staff.send_document("cartera.csv", bad.encode(), "text/csv")
    (report,) = await staff.replies(1)
    assert "No se importó nada" in report.plain and "Fila" in report.plain
    await staff.send_document("cartera.csv", data.encode(), "text/csv")
    (report,) = await staff.replies(1)
    assert "sin cambios" in report.plain
