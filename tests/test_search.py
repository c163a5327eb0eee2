"""The project search on a small Arequipa portfolio: typos, accents, abbreviations, districts, codes."""

from __future__ import annotations

import pytest

from peam_bot.services.search import Hit, ProjectIndex, from_rows, search_tokens

PORTFOLIO: list[tuple[str, str, str, list[str]]] = [
    (
        "P-001",
        "Construcción del puente Chilina",
        "Puente vehicular sobre el río Chili que une Alto Selva Alegre con Cayma.",
        ["Alto Selva Alegre", "Cayma"],
    ),
    (
        "P-002",
        "Mejoramiento de pistas y veredas de la Av. Ejército",
        "Renovación del pavimento, veredas y bermas entre el óvalo de Quinta Tristán y la Av. Cayma.",
        ["Yanahuara", "Cayma"],
    ),
    (
        "P-003",
        "Creación del parque ecológico de Alto Selva Alegre",
        "Parque con senderos, miradores y arborización con molles en la quebrada de Alto Selva Alegre.",
        ["Alto Selva Alegre"],
    ),
    (
        "P-004",
        "Rehabilitación de los baños termales de Yura",
        "Recuperación de las pozas termales y de los servicios turísticos del anexo de Yura Viejo.",
        ["Yura"],
    ),
    (
        "P-005",
        "Ampliación del malecón de Tingo",
        "Malecón peatonal a orillas del río Chili con iluminación y áreas verdes.",
        ["Sachaca"],
    ),
    (
        "P-006",
        "Peatonalización de la Calle Mercaderes",
        "Calle peatonal del centro histórico con mobiliario urbano y arborización.",
        ["Arequipa (Cercado)"],
    ),
    (
        "P-007",
        "Mejoramiento de la Av. Dolores",
        "Ciclovía, semaforización inteligente y paraderos en la Av. Dolores.",
        ["José Luis Bustamante y Rivero"],
    ),
    (
        "P-008",
        "Construcción del mercado de abastos de Zamácola",
        "Nuevo mercado con puestos, cámaras de frío y estacionamiento.",
        ["Cerro Colorado"],
    ),
    (
        "P-009",
        "Creación del centro de salud de Ciudad Municipal",
        "Centro de salud de primer nivel con emergencia y laboratorio.",
        ["Cerro Colorado"],
    ),
    (
        "P-010",
        "Mejoramiento del canal de riego de Characato",
        "Revestimiento del canal que riega la campiña de Characato y Mollebaya.",
        ["Characato", "Mollebaya"],
    ),
    (
        "P-011",
        "Construcción de la losa deportiva de Alto Libertad",
        "Losa multiusos con graderías y cerco perimétrico.",
        ["Cerro Colorado"],
    ),
    (
        "P-012",
        "Instalación del sistema de agua potable de Semi Rural Pachacútec",
        "Redes de agua, reservorio y conexiones domiciliarias para las familias del cono norte.",
        ["Cerro Colorado"],
    ),
    (
        "P-013",
        "Mejoramiento del colegio Independencia Americana",
        "Nuevas aulas, laboratorios y losa deportiva para el colegio emblemático.",
        ["Arequipa (Cercado)"],
    ),
    (
        "P-014",
        "Recuperación del mirador de Sachaca",
        "Restauración del mirador y de su torre de sillar.",
        ["Sachaca"],
    ),
    (
        "P-015",
        "Ampliación de la Av. Kennedy en Paucarpata",
        "Doble vía, bermas centrales y alumbrado en la Av. Kennedy.",
        ["Paucarpata"],
    ),
    (
        "P-016",
        "Defensa ribereña del río Socabaya",
        "Muros de contención y enrocado para proteger a las viviendas ante huaicos.",
        ["Socabaya"],
    ),
    (
        "P-017",
        "Mejoramiento de la plaza de Umacollo",
        "Plaza con áreas verdes, juegos infantiles y pileta.",
        ["Yanahuara"],
    ),
    (
        "P-018",
        "Construcción del intercambio vial de la Av. Aviación",
        "Paso a desnivel en la Av. Aviación con la Av. Pumacahua.",
        ["Cerro Colorado"],
    ),
    (
        "P-019",
        "Creación de la biblioteca municipal de Mariano Melgar",
        "Biblioteca con sala de lectura infantil y telecentro.",
        ["Mariano Melgar"],
    ),
    (
        "P-020",
        "Mejoramiento de la Urb. Challapampa, Psje. Los Álamos",
        "Pistas, veredas y alumbrado público en el pasaje Los Álamos.",
        ["Cerro Colorado"],
    ),
    (
        "P-021",
        "Ampliación del puesto de salud de Tiabaya",
        "Consultorios, tópico y farmacia para la campiña de Tiabaya.",
        ["Tiabaya"],
    ),
    (
        "P-022",
        "Construcción del complejo deportivo de Hunter",
        "Piscina semiolímpica, coliseo y canchas de fulbito.",
        ["Jacobo Hunter"],
    ),
    (
        "P-023",
        "Mejoramiento del Jr. Tacna en Miraflores",
        "Pistas y veredas con rampas para personas con discapacidad.",
        ["Miraflores"],
    ),
    (
        "P-024",
        "Creación del vivero municipal de Sabandía",
        "Producción de plantones de molle y queñual para arborizar la ciudad.",
        ["Sabandía"],
    ),
    (
        "P-025",
        "Rehabilitación del molino de Sabandía",
        "Restauración del molino de piedra y de su entorno turístico.",
        ["Sabandía"],
    ),
    (
        "P-026",
        "Construcción de la ciclovía de la Av. Ejército a Umacollo",
        "Ciclovía segregada con estacionamientos de bicicletas.",
        ["Yanahuara", "Arequipa (Cercado)"],
    ),
    (
        "P-027",
        "Mejoramiento del alumbrado público de Uchumayo",
        "Luminarias LED en la Variante de Uchumayo y en los anexos del distrito.",
        ["Uchumayo"],
    ),
    (
        "P-028",
        "Instalación del sistema de alcantarillado de Quequeña",
        "Redes de desagüe y planta de tratamiento para el pueblo de Quequeña.",
        ["Quequeña"],
    ),
    (
        "P-029",
        "Creación del parque zonal de Cayma",
        "Parque con anfiteatro, juegos y losas deportivas en Cayma.",
        ["Cayma"],
    ),
    (
        "P-130",
        "Construcción del puente peatonal de Huaranguillo",
        "Puente colgante para los escolares que cruzan la torrentera.",
        ["Sachaca"],
    ),
]


@pytest.fixture(scope="module")
def index() -> ProjectIndex:
    return from_rows(PORTFOLIO)


def codes(hits: list[Hit]) -> list[str]:
    return [h.code for h in hits]


def first(index: ProjectIndex, query: str) -> str | None:
    hits = index.search(query)
    return hits[0].code if hits else None


def test_builds_from_rows(index: ProjectIndex) -> None:
    assert len(index) == len(PORTFOLIO)
    assert "P-001" in index and "p-001" in index and "P-999" not in index


def test_exact_name_words_rank_the_project_first(index: ProjectIndex) -> None:
    assert first(index, "puente Chilina") == "P-001"
    assert first(index, "malecón de Tingo") == "P-005"
    assert first(index, "mercado zamacola") == "P-008"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("puente chilna", "P-001"),  # missing letter
        ("pueente chilina", "P-001"),  # doubled letter
        ("pnuete chilina", "P-001"),  # two slips
        ("parke ecologico alto selva", "P-003"),
        ("yura termal", "P-004"),  # singular of "termales"
        ("malecon tnigo", "P-005"),  # swapped letters
        ("mercadres", "P-006"),
        ("zamacola mercdo", "P-008"),
        ("ciudad muncipal salud", "P-009"),
        ("canal riego charcato", "P-010"),
        ("losa alto libertd", "P-011"),
        ("agua potable semirural pachacutec", "P-012"),
        ("colejio independencia", "P-013"),
        ("mirador sachca", "P-014"),
        ("biblioteka mariano melgar", "P-019"),
        ("molino sabandia", "P-025"),
        ("huaranguiyo", "P-130"),  # y for ll, as it sounds
    ],
)
def test_typos_still_find_the_project(index: ProjectIndex, query: str, code: str) -> None:
    assert first(index, query) == code


def test_accents_do_not_matter(index: ProjectIndex) -> None:
    assert first(index, "Zamácola") == first(index, "zamacola") == "P-008"
    assert first(index, "QUEQUEÑA") == first(index, "quequena") == "P-028"
    assert first(index, "sabandía vivero") == first(index, "sabandia vivero") == "P-024"


def test_abbreviations_match_the_whole_word(index: ProjectIndex) -> None:
    assert first(index, "av ejercito") == "P-002"
    assert first(index, "avenida ejército") == "P-002"
    assert first(index, "av. dolores") == "P-007"
    assert first(index, "pasaje los alamos") == "P-020"
    assert first(index, "urbanizacion challapampa") == "P-020"
    assert first(index, "jiron tacna") == "P-023"


def test_jlbyr_is_the_district(index: ProjectIndex) -> None:
    assert first(index, "jlbyr") == "P-007"
    assert first(index, "bustamante y rivero") == "P-007"


def test_district_query_returns_that_districts_projects(index: ProjectIndex) -> None:
    cerro_colorado = {c for c, _, _, districts in PORTFOLIO if "Cerro Colorado" in districts}
    hits = index.search("cerro colorado", limit=10)
    assert set(codes(hits)) == cerro_colorado
    assert set(codes(index.search("sabandia", limit=10))) == {"P-024", "P-025"}
    assert set(codes(index.search("hunter"))) == {"P-022"}


@pytest.mark.parametrize("query", ["p-12", "P012", "P-012", "p12", "p 12", "P-0012", "  p-012 "])
def test_code_forms(index: ProjectIndex, query: str) -> None:
    hits = index.search(query)
    assert hits[0] == Hit("P-012", 100.0)


def test_code_with_words_puts_the_code_first(index: ProjectIndex) -> None:
    hits = index.search("p-130 puente")
    assert hits[0].code == "P-130"
    assert "P-001" in codes(hits)


def test_unknown_code_finds_nothing(index: ProjectIndex) -> None:
    assert index.search("P-999") == []


@pytest.mark.parametrize(
    "query", ["xkcd qwrt", "zzzzzz", "asdfghjkl", "blorft wuxx", "kjhgf", "   ", "¿?!", "q"]
)
def test_gibberish_finds_nothing(index: ProjectIndex, query: str) -> None:
    assert index.search(query) == []


def test_scores_are_ordered_and_bounded(index: ProjectIndex) -> None:
    hits = index.search("parque", limit=10)
    assert len(hits) >= 2
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(0 < h.score <= 100 for h in hits)
    assert {"P-003", "P-029"} <= set(codes(hits))


def test_limit_is_respected(index: ProjectIndex) -> None:
    assert len(index.search("cerro colorado", limit=3)) == 3
    assert len(index.search("cerro colorado", limit=1)) == 1
    assert index.search("cerro colorado", limit=0) == []


def test_remove_and_replace() -> None:
    index = from_rows(PORTFOLIO)
    index.remove("P-001")
    assert len(index) == len(PORTFOLIO) - 1
    assert "P-001" not in codes(index.search("puente chilina"))
    assert index.search("chilina") == []
    assert index.search("p-1") == []
    index.remove("P-001")  # unknown now: ignored
    index.add("P-001", "Construcción del puente Chilina", "Segunda etapa.", ["Cayma"])
    assert first(index, "puente chilna") == "P-001"
    index.add("P-001", "Mejoramiento del estadio Umacollo", "Tribunas.", ["Yanahuara"])  # replaces
    assert len(index) == len(PORTFOLIO)
    assert "P-001" not in codes(index.search("chilina"))
    assert first(index, "estadio umacollo") == "P-001"


def test_many_removals_compact_the_index() -> None:
    index = ProjectIndex()
    for i in range(2500):
        index.add(f"P-{i:04d}", f"Parque número {i}", "Áreas verdes.", ["Cayma"])
    for i in range(2400):
        index.remove(f"P-{i:04d}")
    assert len(index) == 100
    assert first(index, "parque 2450") == "P-2450"
    assert all(int(h.code[2:]) >= 2400 for h in index.search("parque cayma", limit=20))


def test_empty_index() -> None:
    assert ProjectIndex().search("puente chilina") == []


def test_search_tokens() -> None:
    assert search_tokens("Av. Ejército y Calle Mercaderes") == ["avenida", "ejercito", "mercaderes"]
    assert search_tokens("JLByR") == ["jose", "luis", "bustamante", "rivero"]
    assert search_tokens("AA.HH. Villa Señor") == ["asentamiento", "humano", "villa", "senor"]
