"""Free text outside a form: what a resident means (services/intents.classify), and the bot answering
it with the screen asked for instead of a project search that finds nothing."""

from __future__ import annotations

import csv

import pytest

from peam_bot.emulator.client import User
from peam_bot.services import portfolio_sheet
from peam_bot.services.intents import Intent, Kind, classify
from peam_bot.telegram.app import App
from tests.conftest import StartApp, onboard

G, T, H, EV, ME = Kind.GREETING, Kind.THANKS, Kind.HELP, Kind.EVENTS, Kind.MESAS
REG, PRO, MINE, ST, PJ = Kind.MY_REGISTRATIONS, Kind.PROPOSE, Kind.MY_INITIATIVES, Kind.STATUS, Kind.PROJECTS
FO, LA, DI, SE = Kind.FOLLOW, Kind.LANGUAGE, Kind.DISTRICT, Kind.SEARCH

PHRASINGS: list[tuple[str, Kind]] = [
    # greetings and thanks, however they come
    ("hola", G),
    ("Holaaa 👋", G),
    ("ola buenas tardes", G),
    ("Buenos días señor", G),
    ("wenas", G),
    ("hola qué tal, cómo está?", G),
    ("oe causa qué fue", G),
    ("👋", G),
    ("gracias", T),
    ("Muchas gracias joven 🙏", T),
    ("mil grasias!!", T),
    ("ok gracias", T),
    ("listo, chau", T),
    ("Dios le pague", T),
    ("👍", T),
    # help
    ("ayuda", H),
    ("ayudeme porfa", H),
    ("no entiendo", H),
    ("¿qué puedo hacer aquí?", H),
    ("qué es el PEAM", H),
    ("una consulta", H),
    # events and their registration
    ("quiero inscribirme en un taller", EV),
    ("kiero inscrivirme al taler porfa", EV),
    ("hay talleres en cayma?", EV),
    ("CAPASITACIONES", EV),
    ("cuándo es la próxima jornada de planificación", EV),
    ("buenos días, una consulta, ¿cuándo hay capacitación?", EV),
    ("quisiera participar en los eventos del plan", EV),
    ("¿dónde me anoto para la charla?", EV),
    # mesas
    ("¿cuándo es la próxima mesa?", ME),
    ("proxima meza de concertacion", ME),
    ("quiero ir a la mesa de movilidad", ME),
    ("mesas de concertación ciudadana", ME),
    # one's registrations
    ("mis inscripciones", REG),
    ("dónde está mi entrada", REG),
    ("ya me inscribí en la jornada, y mi ticket?", REG),
    ("estoy inscrita?", REG),
    ("código QR", REG),
    # proposing
    ("quiero proponer algo para mi barrio", PRO),
    ("tengo una idea para mi barrio", PRO),
    ("quiero mandar otra iniciativa", PRO),
    ("Necesitamos un parque en nuestra zona", PRO),
    ("quisiera sugerir una propuesta", PRO),
    ("quiero pedir que arreglen la pista de mi calle", PRO),
    # one's initiatives and their status
    ("cómo va mi iniciativa", MINE),
    ("como va mi iniciatiba??", MINE),
    ("mis propuestas", MINE),
    ("qué pasó con mi pedido", MINE),
    ("estado de mi solicitud", MINE),
    ("consultar estado", ST),
    ("INI-2026-00012", ST),
    ("estado de ini-2026-12 porfa", ST),
    # the portfolio
    ("ver proyectos", PJ),
    ("qué obras hay", PJ),
    ("la cartera de proyectos", PJ),
    ("proyectos que sigo", FO),
    ("cambiar idioma", LA),
    ("in english please", LA),
    ("cambiar mi distrito", DI),
    ("me mudé de distrito", DI),
    # a project's name stays a search
    ("puente chilina", SE),
    ("malecón tingo", SE),
    ("P-012", SE),
    ("p12", SE),
    ("av ejercito", SE),
    ("yura termal", SE),
    ("Characato", SE),
    ("centro de salud cerro colorado", SE),
    ("hola, puente chilina", SE),
    ("cómo va el puente chilina", SE),
    ("proyectos en Cayma", SE),
    ("xqzwv plorf", SE),
    # English
    ("hi", G),
    ("hello there", G),
    ("thanks a lot", T),
    ("thank you!", T),
    ("help", H),
    ("I want to register for a workshop", EV),
    ("when is the next round table?", ME),
    ("my tickets", REG),
    ("how is my proposal going", MINE),
    ("I want to propose an idea", PRO),
    ("show me the projects", PJ),
]


@pytest.mark.parametrize(("text", "kind"), PHRASINGS)
def test_classify(text: str, kind: Kind) -> None:
    assert classify(text).kind is kind


def test_enough_phrasings() -> None:
    assert len(PHRASINGS) >= 40 and sum(k is SE for _t, k in PHRASINGS) >= 10


def test_codes_and_what_is_left_to_search() -> None:
    assert classify("estado de ini-2026-12") == Intent(ST, code="INI-2026-00012")
    assert classify("p12") == Intent(SE, code="P-012", query="P-012")
    assert classify("Hola, busco el Puente de Chilina por favor").query == "Puente de Chilina"
    assert classify("cómo va el puente chilina").query == "puente chilina"
    assert classify("puente chilna").query == "puente chilna"  # nothing known: searched as typed


def test_every_sample_project_and_district_name_is_a_search() -> None:
    with portfolio_sheet.SAMPLE_PATH.open(encoding="utf-8") as f:
        names = [row["nombre"] for row in csv.DictReader(f)]
    districts = """Alto Selva Alegre, Arequipa, Cercado, Cayma, Cerro Colorado, Characato, Jacobo Hunter,
    José Luis Bustamante y Rivero, Mariano Melgar, Miraflores, Mollebaya, Paucarpata, Sabandía, Sachaca,
    Socabaya, Tiabaya, Uchumayo, Yanahuara, Yarabamba, Yura""".split(",")
    for name in names + [d.strip() for d in districts]:
        assert classify(name).kind is SE, name


# --- through the bot -------------------------------------------------------------------------------


@pytest.fixture
async def app(start_app: StartApp) -> App:
    app = await start_app()
    async with app.session_factory() as s, s.begin():
        assert await portfolio_sheet.load_sample(s) >= 60
    return app


async def test_free_text_is_understood_before_it_is_searched(app: App, resident: User) -> None:
    await onboard(resident)
    await resident.send("hola")
    (hello,) = await resident.replies(1)
    assert "Hola" in hello.plain and "No encontré" not in hello.plain
    assert "keyboard" in hello.reply_markup and len(hello.plain.splitlines()) <= 3

    await resident.send("quiero inscribirme en un taller")
    (talleres,) = await resident.replies(1)
    assert "Talleres y eventos" in talleres.plain

    await resident.send("¿cuándo es la próxima mesa?")
    (mesas,) = await resident.replies(1)
    assert "Mesas de Concertación Ciudadana" in mesas.plain

    await resident.send("puente chilina")
    (found,) = await resident.replies(1)
    assert found.buttons()[0][0][0].startswith("P-001")

    await resident.send("gracias")
    (thanks,) = await resident.replies(1)
    assert thanks.plain == "¡Con gusto! Aquí estoy cuando me necesite."


async def test_free_text_opens_the_commands_screens(app: App, resident: User) -> None:
    await onboard(resident)
    await resident.send("cómo va mi iniciativa")
    (mine,) = await resident.replies(1)
    assert "Todavía no ha enviado iniciativas" in mine.plain
    await resident.send("mis inscripciones")
    (regs,) = await resident.replies(1)
    assert "No tiene inscripciones" in regs.plain
    await resident.send("ayuda porfa")
    (help_,) = await resident.replies(1)
    assert "/talleres" in help_.plain
    await resident.send("ver proyectos")
    (projects,) = await resident.replies(1)
    assert "Cartera de Proyectos" in projects.plain
    await resident.send("hola, busco el malecón de tingo")
    (found,) = await resident.replies(1)
    assert "Malecón del río Chili en Tingo" in found.plain
    await resident.send("quiero proponer algo para mi barrio")
    (offer,) = await resident.replies(1)
    assert "iniciativa" in offer.plain
    await resident.press("Proponer iniciativa")
    (step,) = await resident.replies(1)
    assert "7 pasos" in step.plain
