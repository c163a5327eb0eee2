"""Free text outside a form: what a resident means (services/intents.classify)."""

from __future__ import annotations

import csv

import pytest

from peam_bot.services import portfolio_sheet
from peam_bot.services.intents import Intent, Kind, classify

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
