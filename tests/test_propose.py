from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from peam_bot.emulator.client import User
from peam_bot.emulator.server import FakeTelegram
from peam_bot.storage.models import Initiative, OutboxMessage
from peam_bot.telegram.app import App
from tests.conftest import STAFF_CHAT, eventually, onboard

TITLE = "Semáforo peatonal en la Av. Ejército"
DESCRIPTION = "Los niños del colegio cruzan la avenida sin semáforo y ya hubo dos accidentes este año."


async def fill_until_review(u: User, photos: int = 1, location: bool = True, org: str | None = None) -> None:
    await u.send("/proponer")
    await u.replies(1)
    await u.send(TITLE)
    (q,) = await u.replies(1)
    assert "Paso 2 de 7" in q.plain
    await u.send(DESCRIPTION)
    (q,) = await u.replies(1)
    assert "Paso 3 de 7" in q.plain and "Cayma (el suyo)" in q.buttons()[0][0][0]
    assert sum("Cayma" in b[0] for row in q.buttons() for b in row) == 1  # first, and not again below
    # a pressed step's message becomes the next question, with the choice on top
    await u.press("(el suyo)")
    (q,) = await u.replies(1)
    assert q.edited and q.plain.startswith("Distrito: Cayma ✅\n\nPaso 4 de 7")
    await u.press("Movilidad y transporte", q)
    (q,) = await u.replies(1)
    assert q.edited and q.plain.startswith("Tema: Movilidad y transporte ✅\n\nPaso 5 de 7")
    if photos:
        for _ in range(photos):
            await u.send_photo()
            (q,) = await u.replies(1)
        if photos < 3:
            await u.press("Continuar", q)
            (q,) = await u.replies(1)
            assert q.edited and q.plain.startswith(f"Fotos: {photos} ✅\n\nPaso 6 de 7")
    else:
        await u.press("Omitir", q)
        (q,) = await u.replies(1)
        assert q.edited and q.plain.startswith("Fotos: ninguna ✅\n\nPaso 6 de 7")
    if location:
        await u.send_location(-16.3915, -71.5440)
        (q,) = await u.replies(1)
        assert "Ubicación recibida" in q.plain
    else:
        await u.press("Omitir", q)
        (q,) = await u.replies(1)
        assert q.plain.startswith("Ubicación: ninguna ✅")
    assert "Paso 7 de 7" in q.plain
    if org:
        await u.press("territorial", q)
        (q,) = await u.replies(1)
        assert q.edited and q.plain.startswith("Organización: territorial (junta vecinal")
        assert "nombre de la organización" in q.plain
        await u.send(org)
    else:
        await u.press("título personal", q)
    (review,) = await u.replies(1)
    assert "Revise su iniciativa" in review.plain


async def test_whole_flow_with_photo_and_location(app: App, resident: User, tg: FakeTelegram) -> None:
    await onboard(resident)
    await fill_until_review(resident, photos=3, location=True, org="Junta Vecinal Los Álamos")
    review = resident.last()
    assert "Organización: Junta Vecinal Los Álamos — territorial (junta vecinal" in review.plain
    assert "Fotos: 3" in review.plain
    uid = await resident.press("Enviar")
    _edit, done = await resident.replies(2)
    assert await app.wait_handled(uid)
    code = re.search(r"INI-\d{4}-\d{5}", done.plain).group(0)  # type: ignore[union-attr]
    assert "Le avisaremos por aquí" in done.plain

    async with app.session_factory() as s:
        ini = (await s.execute(select(Initiative).where(Initiative.code == code))).scalar_one()
        assert ini.title == TITLE and ini.district == "cayma" and ini.theme == "movilidad"
        assert len(ini.photos) == 3 and ini.latitude == -16.3915 and ini.org_type == "territorial"
        assert [e.status for e in ini.events] == ["recibida"]

    # announced in the staff chat: photos (album), location, then the summary
    assert await tg.wait_until(lambda: len(tg.messages_for(STAFF_CHAT)) >= 3, timeout=10)
    staff = tg.messages_for(STAFF_CHAT)
    assert staff[0].method == "sendMediaGroup" and len(staff[0].media or []) == 3
    assert staff[1].location is not None
    assert code in staff[2].plain and TITLE in staff[2].plain and "Rosa" not in staff[2].plain
    assert "3 fotos · con ubicación" in staff[2].plain

    async def outbox_rows() -> list[OutboxMessage]:
        async with app.session_factory() as s:
            return list((await s.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())

    async def all_sent() -> bool:
        return [r.status for r in await outbox_rows()] == ["sent"] * 3

    assert await eventually(all_sent)
    rows = await outbox_rows()
    assert rows[2].ref == f"announce:{code}" and rows[2].telegram_message_id == staff[2].message_id

    # the resident sees it with its history
    await resident.send("/mis_iniciativas")
    (mine,) = await resident.replies(1)
    assert code in mine.plain and "Recibida" in mine.plain
    await resident.send(f"/estado {code.lower()}")
    (status,) = await resident.replies(1)
    assert "Estado: Recibida" in status.plain and "Historial" in status.plain


async def test_correcting_only_the_organisation_type_keeps_its_name(app: App, resident: User) -> None:
    await onboard(resident)
    await fill_until_review(resident, photos=0, location=False, org="Junta Vecinal Los Álamos")
    await resident.press("Organización")
    await resident.replies(2)
    await resident.press("Organización funcional")
    (q,) = await resident.replies(1)
    assert q.plain.startswith("Organización: funcional")
    assert "Ahora dice:\n«Junta Vecinal Los Álamos»" in q.plain
    await resident.press("Mantener ese nombre", q)
    _edit, review = await resident.replies(2)
    assert "Organización: Junta Vecinal Los Álamos — funcional (comedor" in review.plain


async def test_edit_before_send(app: App, resident: User) -> None:
    await onboard(resident)
    await fill_until_review(resident, photos=0, location=False)
    review = resident.last()
    assert "Fotos: ninguna" in review.plain  # as the step said, not "0"
    assert "Ubicación: ninguna" in review.plain and "Organización: ninguna, la envía usted" in review.plain
    await resident.press("Descripción")
    _edit, q = await resident.replies(2)
    assert "Ahora dice" in q.plain and DESCRIPTION in q.plain
    await resident.press("Dejar como está")
    _edit, review = await resident.replies(2)
    assert "Revise su iniciativa" in review.plain and DESCRIPTION in review.plain
    await resident.press("Título")
    _edit, q = await resident.replies(2)
    assert "nuevo título" in q.plain and TITLE in q.plain
    await resident.send("Semáforo inteligente en Cayma")
    (review,) = await resident.replies(1)
    assert "Semáforo inteligente en Cayma" in review.plain and DESCRIPTION in review.plain
    await resident.press("Distrito")
    await resident.replies(2)
    await resident.press("Yura")
    (review,) = await resident.replies(1)
    assert "Distrito: Yura" in review.plain
    # changing it again: the district chosen so far comes first, not called the resident's own
    await resident.press("Distrito")
    _edit, q = await resident.replies(2)
    assert q.buttons()[0][0][0] == "📍 Yura (el elegido)" and "el suyo" not in str(q.buttons())
    await resident.press("Dejar como está")
    _edit, review = await resident.replies(2)
    assert "Distrito: Yura" in review.plain
    # replacing the photos: after the first new one, the resident may send more or go back with Continuar
    await resident.press("Fotos")
    _edit, q = await resident.replies(2)
    assert "Envíe hasta 3 fotos" in q.plain and "Dejar como está" in str(q.buttons())
    await resident.send_photo()
    (q,) = await resident.replies(1)
    assert "Foto 1 recibida" in q.plain and "Tiene 1 de 3 fotos" in q.plain
    assert "Continuar" in str(q.buttons()) and "Dejar como está" not in str(q.buttons())
    await resident.press("Continuar")
    (review,) = await resident.replies(1)
    assert "Revise su iniciativa" in review.plain and "Fotos: 1" in review.plain
    uid = await resident.press("Enviar")
    await resident.replies(2)
    assert await app.wait_handled(uid)
    async with app.session_factory() as s:
        ini = (await s.execute(select(Initiative))).scalar_one()
        assert ini.title == "Semáforo inteligente en Cayma" and ini.district == "yura"
        assert ini.latitude is None and len(ini.photos) == 1


async def test_similar_initiatives_are_shown_before_storing(app: App, resident: User) -> None:
    await onboard(resident)
    await fill_until_review(resident, photos=0, location=True)
    await resident.press("Enviar")
    await resident.replies(2)
    neighbour = User(resident.tg, 700_010, "Luis")
    await onboard(neighbour)
    await neighbour.send("/proponer")
    await neighbour.replies(1)
    for text in (
        "Semaforo peatonal av ejercito",
        "Necesitamos un semáforo para los niños que cruzan la avenida Ejército.",
    ):
        await neighbour.send(text)
        await neighbour.replies(1)
    await neighbour.press("(el suyo)")
    await neighbour.replies(1)
    await neighbour.press("Movilidad")
    await neighbour.replies(1)
    await neighbour.press("Omitir")
    await neighbour.replies(1)
    await neighbour.send_location(-16.3917, -71.5442)
    await neighbour.replies(1)
    await neighbour.press("título personal")
    await neighbour.replies(1)
    await neighbour.press("Enviar")
    _edit, question = await neighbour.replies(2)  # the similar ones listed above the question
    assert "parecidas" in question.plain and TITLE in question.plain
    assert "¿Envía su iniciativa de todos modos?" in question.plain
    uid = await neighbour.press("No enviar")
    _edit, bye = await neighbour.replies(2)
    assert "no envié" in bye.plain
    assert await neighbour.tg.wait_until(lambda: True)
    assert await app.wait_handled(uid)
    async with app.session_factory() as s:
        assert len((await s.execute(select(Initiative))).scalars().all()) == 1


async def test_cancel_button_asks_first(app: App, resident: User) -> None:
    await onboard(resident)
    await resident.send("/proponer")
    await resident.replies(1)
    await resident.send(TITLE)
    await resident.replies(1)
    await resident.press("Cancelar")
    (ask,) = await resident.replies(1)
    assert "¿Seguro que quiere cancelar?" in ask.plain
    await resident.press("No, seguir")
    _edit, again = await resident.replies(2)
    assert "Paso 2 de 7" in again.plain
    await resident.send(DESCRIPTION)
    (m,) = await resident.replies(1)
    assert "Paso 3 de 7" in m.plain
    await resident.press("Cancelar")
    await resident.replies(1)
    await resident.press("Sí, cancelar")
    _edit, bye = await resident.replies(2)
    assert "No se guardó nada" in bye.plain


async def test_cancel_leaves_nothing(app: App, resident: User) -> None:
    await onboard(resident)
    await resident.send("/proponer")
    await resident.replies(1)
    await resident.send(TITLE)
    await resident.replies(1)
    uid = await resident.send("/cancelar")
    (bye,) = await resident.replies(1)
    assert "No se guardó nada" in bye.plain
    assert await app.wait_handled(uid)
    await resident.send("/estado")
    await resident.replies(1)
    async with app.session_factory() as s:
        assert (await s.execute(select(Initiative))).first() is None


async def test_bad_inputs_keep_the_form(app: App, resident: User) -> None:
    await onboard(resident)
    await resident.send("/proponer")
    await resident.replies(1)
    await resident.send_sticker()
    (m,) = await resident.replies(1)
    assert "No pude leer eso" in m.plain and "título" in m.plain
    await resident.send("/buscar")
    (m,) = await resident.replies(1)
    assert "Está preparando una iniciativa. Para salir" in m.plain and "guardado" not in m.plain
    await resident.send("Hola")
    (m,) = await resident.replies(1)
    assert "muy poco texto para el título" in m.plain and "al menos 5" in m.plain
    await resident.send("x" * 121)
    (m,) = await resident.replies(1)
    assert "demasiado texto para el título" in m.plain and "121" in m.plain
    await resident.send("😀😀😀😀😀😀")
    (m,) = await resident.replies(1)
    assert "no solo emojis" in m.plain
    await resident.send("<b>Parque</b> & <script>alert(1)</script>")
    (m,) = await resident.replies(1)
    assert "Paso 2 de 7" in m.plain
    await resident.send("/proyectos")
    (m,) = await resident.replies(1)
    assert "lo que ya escribió está guardado" in m.plain and "Paso 2 de 7" in m.plain
    await resident.send_photo()
    (m,) = await resident.replies(1)
    assert "las fotos van en el paso 5" in m.plain and "Paso 2 de 7" in m.plain
    await resident.send("Queremos un parque con juegos para niños y bancas, el terreno está abandonado.")
    (m,) = await resident.replies(1)
    assert "Paso 3 de 7" in m.plain
    await resident.send("Marte")
    (m,) = await resident.replies(1)
    assert "No reconocí ese distrito" in m.plain and "Paso 3 de 7" in m.plain
    await resident.send_sticker()
    (m,) = await resident.replies(1)
    assert "Elija el distrito con los botones o escriba su nombre" in m.plain and "Paso 3 de 7" in m.plain
    await resident.send("cerro colorao")  # typed instead of pressed, with a typo
    (m,) = await resident.replies(1)
    assert "Distrito: Cerro Colorado ✅" in m.plain and "Paso 4 de 7" in m.plain
    # a stale button: a district button pressed again now that the theme is asked
    await resident.press_data("d:fm:cayma", m.message_id)
    (m,) = await resident.replies(1)
    assert resident.callback_answers[-1]["text"] == "Ese botón ya no está activo. Siga con el paso actual."
    assert "Paso 4 de 7" in m.plain
    await resident.press_data("garbage-data", m.message_id)
    await resident.replies(1)
    await resident.press("Cultura")
    await resident.replies(1)
    await resident.send_location(-12.05, -77.04)  # Lima: outside the province
    (m,) = await resident.replies(1)
    assert "espero una foto" in m.plain
    await resident.send("no tengo fotos")
    (m,) = await resident.replies(1)
    assert "espero una foto" in m.plain
    await resident.press("Omitir")
    await resident.replies(1)
    await resident.send("aquí")
    (m,) = await resident.replies(1)
    assert "no escrita" in m.plain
    await resident.send_location(-12.05, -77.04)
    (m,) = await resident.replies(1)
    assert "fuera de la provincia de Arequipa" in m.plain
    await resident.press("Omitir")
    await resident.replies(1)
    await resident.press("título personal")
    (review,) = await resident.replies(1)
    assert "&lt;b&gt;" not in review.plain and "<b>Parque</b> & <script>alert(1)</script>" in review.plain
    await resident.press("Enviar")
    _e, done = await resident.replies(2)
    assert "Recibimos su iniciativa" in done.plain
    # double tap on Enviar: nothing more is stored
    uid = await resident.press_data("f:send", review.message_id)
    assert await app.wait_handled(uid)
    assert "ya no está activo" in resident.callback_answers[-1]["text"]
    async with app.session_factory() as s:
        assert len((await s.execute(select(Initiative))).scalars().all()) == 1


async def test_older_copy_of_a_question_and_typed_answers_at_button_steps(
    app: App, resident: User, tg: FakeTelegram
) -> None:
    await onboard(resident)
    await resident.send("/proponer")
    await resident.replies(1)
    await resident.send(TITLE)
    await resident.replies(1)
    await resident.send(DESCRIPTION)
    (older,) = await resident.replies(1)
    await resident.send_sticker()
    (newer,) = await resident.replies(1)
    assert "escriba su nombre" in newer.plain and "Paso 3 de 7" in newer.plain
    # the older copy pressed: the newest copy (the last message) moves on, the older loses its buttons
    await resident.press("(el suyo)", older)
    first, second = await resident.replies(2)
    moved = first if first.message_id == newer.message_id else second
    assert moved.edited and moved.plain.startswith("Distrito: Cayma ✅\n\nPaso 4 de 7")
    now_older = tg.get_message(resident.chat_id, older.message_id) or {}
    assert now_older.get("text") == "Distrito: Cayma ✅" and not now_older.get("reply_markup")
    # a theme typed instead of pressed: taken when it is clear, asked again when it is not
    await resident.send("desarrollo")
    (m,) = await resident.replies(1)
    assert "No supe cuál tema es" in m.plain and "Paso 4 de 7" in m.plain
    await resident.send("cultura")
    (m,) = await resident.replies(1)
    assert m.plain.startswith("Tema: Cultura y patrimonio ✅\n\nPaso 5 de 7")
    await resident.press("Omitir", m)
    (m,) = await resident.replies(1)
    await resident.press("Omitir", m)
    (m,) = await resident.replies(1)
    assert "Paso 7 de 7" in m.plain
    await resident.send("No")  # typed at the organisation question
    (review,) = await resident.replies(1)
    assert review.plain.startswith("Organización: ninguna, la envía usted ✅")
    assert "Revise su iniciativa" in review.plain and "Tema: Cultura y patrimonio" in review.plain


async def test_proponer_before_the_notice_opens_the_form_after_onboarding(app: App, resident: User) -> None:
    await resident.send("/proponer")
    _welcome, notice = await resident.replies(2)
    assert "Acepta" in notice.plain
    await resident.press("Acepto")
    await resident.replies(2)
    await resident.press("Cayma")
    *_rest, step = await resident.replies(3)  # district confirmed, menu, the form's first step
    assert "Paso 1 de 7" in step.plain


async def test_start_in_the_middle_of_the_form_keeps_the_draft(app: App, resident: User) -> None:
    await onboard(resident)
    await resident.send("/proponer")
    await resident.replies(1)
    await resident.send(TITLE)
    await resident.replies(1)
    await resident.send("/start")
    (m,) = await resident.replies(1)
    assert "lo que ya escribió está guardado" in m.plain and "Paso 2 de 7" in m.plain
    await resident.send(DESCRIPTION)
    (m,) = await resident.replies(1)
    assert "Paso 3 de 7" in m.plain


async def test_similar_candidates_follow_status_changes_and_new_initiatives(session_factory: Any) -> None:
    """The texts compared are kept per process, but which initiatives count and their status are
    read each time: a declined or hidden one drops out, a new one comes in, a status change shows."""
    from sqlalchemy import update

    from peam_bot.services import initiatives, users
    from peam_bot.services.initiatives import Draft

    def draft(title: str) -> Draft:
        return Draft(
            title=title,
            description="Proponemos arreglar la vereda y poner luminarias para los vecinos del barrio.",
            district="cayma",
            theme="ambiente",
        )

    async with session_factory() as s, s.begin():
        await users.accept_consent(s, 1, "es")
        first = await initiatives.submit(s, 1, draft("Vereda nueva en la calle Misti"), None, 2026)
        second = await initiatives.submit(s, 1, draft("Luminarias en el parque Selva"), None, 2026)
    async with session_factory() as s:
        found = await initiatives.similar_candidates(s)
        assert [(c.code, c.status) for c in found] == [(first.code, "recibida"), (second.code, "recibida")]
        assert await initiatives.find_similar(s, draft("Vereda nueva en la calle Misti"))
    async with session_factory() as s, s.begin():
        await s.execute(update(Initiative).where(Initiative.code == first.code).values(status="rechazada"))
        await s.execute(update(Initiative).where(Initiative.code == second.code).values(status="en_revision"))
        third = await initiatives.submit(s, 1, draft("Cancha de losa en Alto Cayma"), None, 2026)
    async with session_factory() as s:
        found = await initiatives.similar_candidates(s)
        assert [(c.code, c.status) for c in found] == [(second.code, "en_revision"), (third.code, "recibida")]
        similar = await initiatives.find_similar(s, draft("Vereda nueva en la calle Misti"))
        assert first.code not in [x.code for x in similar]
    async with session_factory() as s, s.begin():
        await s.execute(update(Initiative).where(Initiative.code == third.code).values(hidden=True))
    async with session_factory() as s:
        assert [c.code for c in await initiatives.similar_candidates(s)] == [second.code]


async def test_own_initiatives_can_be_looked_at_in_the_middle_of_the_form(app: App, resident: User) -> None:
    """/mis_iniciativas, /estado <código> and a "Ver historial" button work in the middle of a new
    form; the form's question comes back below them, and the answer already given is kept."""
    await onboard(resident)
    await fill_until_review(resident, photos=0, location=False)
    await resident.press("Enviar")
    _edit, done = await resident.replies(2)
    code = re.search(r"INI-\d{4}-\d{5}", done.plain).group(0)  # type: ignore[union-attr]

    await resident.send("/proponer")
    await resident.replies(1)
    await resident.send("Bancas y sombra en el parque de Cayma")
    (q,) = await resident.replies(1)
    assert "Paso 2 de 7" in q.plain
    await resident.send("/mis_iniciativas")
    mine, again = await resident.replies(2)
    assert code in mine.plain and "Recibida" in mine.plain
    assert "sigue guardada" in again.plain and "Paso 2 de 7" in again.plain
    await resident.send(f"/estado {code}")
    status, again = await resident.replies(2)
    assert "Estado: Recibida" in status.plain and "Paso 2 de 7" in again.plain
    await resident.press(f"Ver historial de {code}", mine)
    status, again = await resident.replies(2)
    assert "Historial" in status.plain and "Paso 2 de 7" in again.plain
    await resident.send("/estado")  # without a code the next message would be taken as the answer
    (refused,) = await resident.replies(1)
    assert "escriba /estado con su código" in refused.plain and "Paso 2 de 7" in refused.plain
    await resident.send(DESCRIPTION)
    (q,) = await resident.replies(1)
    assert "Paso 3 de 7" in q.plain  # the title given before the look-ups was kept
