"""Speed and quality of the project search on a large synthetic portfolio.

    python -m bench.search [--projects 50000] [--queries 1000] [--seed 7]

Builds N realistic Arequipa project names (each with its own street + settlement, so the project a
query is meant for is well defined), then asks queries typed the way residents type: a few of the
name's most distinctive words in lower case without accents, 0-2 typos, sometimes the district or an
abbreviation, sometimes only the code in a loose form. Prints one JSON line to stdout.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass

from peam_bot.services.search import ProjectIndex
from peam_bot.services.text import normalize
from peam_bot.storage.reference_data import METROPOLITAN_DISTRICTS, OTHER_DISTRICTS

WORKS = [
    "Mejoramiento",
    "Construcción",
    "Ampliación",
    "Rehabilitación",
    "Creación",
    "Instalación",
    "Recuperación",
    "Renovación",
]

OBJECTS = [
    "de pistas y veredas",
    "del puente vehicular",
    "del puente peatonal",
    "del parque",
    "del parque ecológico",
    "del mercado de abastos",
    "del centro de salud",
    "del puesto de salud",
    "de la institución educativa",
    "del colegio",
    "del canal de riego",
    "del malecón",
    "de la losa deportiva",
    "del sistema de agua potable",
    "del sistema de alcantarillado",
    "de la ciclovía",
    "del estadio",
    "del mirador turístico",
    "de la plaza",
    "del local comunal",
    "de la biblioteca municipal",
    "de la defensa ribereña",
    "del muro de contención",
    "del alumbrado público",
    "de áreas verdes",
    "de la berma central",
    "del complejo deportivo",
    "del vivero municipal",
    "del camal municipal",
    "de los baños termales",
    "del intercambio vial",
    "de la cuna jardín",
]

STREETS = [
    "Av. Ejército",
    "Av. Dolores",
    "Calle Mercaderes",
    "Av. Goyeneche",
    "Av. Parra",
    "Av. Kennedy",
    "Av. Aviación",
    "Av. Cayma",
    "Av. Jesús",
    "Av. Los Incas",
    "Av. Venezuela",
    "Av. Lambramani",
    "Av. Independencia",
    "Av. La Marina",
    "Av. Salaverry",
    "Av. Pumacahua",
    "Av. Progreso",
    "Av. Porongoche",
    "Av. Alcides Carrión",
    "Av. Mariscal Castilla",
    "Av. Bolognesi",
    "Av. Vidaurrázaga",
    "Av. Metropolitana",
    "Av. Estados Unidos",
    "Av. Brasil",
    "Av. Unión",
    "Av. Emmel",
    "Av. Trinidad Morán",
    "Av. Fernandini",
    "Av. San Martín",
    "Av. Túpac Amaru",
    "Av. Andrés Avelino Cáceres",
    "Av. Ramón Castilla",
    "Av. Zamácola",
    "Av. Hartley",
    "Av. Dean Valdivia",
    "Av. Paisajista",
    "Av. Caracas",
    "Av. Obrera",
    "Av. Teniente Ferré",
    "Av. Chilina",
    "Av. Cementerio",
    "Av. Perú",
    "Av. Arancota",
    "Av. Huarangal",
    "Calle San Juan de Dios",
    "Calle Santa Catalina",
    "Calle Jerusalén",
    "Calle Moral",
    "Calle Bolívar",
    "Calle Sucre",
    "Calle Ayacucho",
    "Calle Puno",
    "Calle Piérola",
    "Calle Consuelo",
    "Calle Melgar",
    "Calle Zela",
    "Calle Villalba",
    "Calle Francisco Mostajo",
    "Calle Miguel Grau",
    "Calle Los Claveles",
    "Calle Las Begonias",
    "Calle Los Geranios",
    "Calle Los Pinos",
    "Calle Las Magnolias",
    "Calle Los Cedros",
    "Calle Las Orquídeas",
    "Calle Guardia Civil",
    "Calle Cruz Verde",
    "Calle Rivero",
    "Calle Deán Valdivia",
    "Calle Paucarpata",
    "Calle Nicolás de Piérola",
    "Calle Chávez de la Rosa",
    "Calle Misti",
    "Calle Chachani",
    "Calle Pichu Pichu",
    "Jr. Tacna",
    "Jr. Junín",
    "Jr. Huáscar",
    "Psje. Santa Rosa",
    "Psje. Los Álamos",
    "Psje. Las Palmeras",
    "Psje. San Isidro",
    "Prolong. Av. Ejército",
    "Prolong. Av. Progreso",
    "Carretera a Yura",
    "Carretera a Characato",
    "Variante de Uchumayo",
    "Vía de Evitamiento",
]

SETTLEMENTS = [
    "Urb. Semi Rural Pachacútec",
    "Ciudad Municipal",
    "Umacollo",
    "Alto Libertad",
    "Chilina",
    "Tingo",
    "Tingo Grande",
    "Zamácola",
    "Urb. La Campiña",
    "Urb. Los Olivos",
    "Villa Paraíso",
    "AA.HH. Mariscal Castilla",
    "Pueblo Joven Independencia",
    "Urb. Santa Rosa",
    "Urb. Cerrito Los Álamos",
    "Cerro Juli",
    "Huaranguillo",
    "Pampa de Camarones",
    "Ciudad de Dios",
    "Cono Norte",
    "Villa Continental",
    "Urb. Magisterial",
    "Urb. Adepa",
    "Urb. Lara",
    "Tahuaycani",
    "Pampa de Polanco",
    "Ampliación Paucarpata",
    "Javier Heraud",
    "Villa Chachani",
    "Apurímac",
    "Alata",
    "Chapi Chico",
    "Acequia Alta",
    "Yumina",
    "Lari",
    "Huasacache",
    "Congata",
    "Los Tunales",
    "Buenos Aires de Cayma",
    "Carmen Alto",
    "La Tomilla",
    "Ciudad Blanca",
    "Villa Hermosa",
    "Francisco Bolognesi",
    "Mirador de Yanahuara",
    "Cural",
    "Urb. Quinta Tristán",
    "Urb. Victoria",
    "Urb. El Palomar",
    "Urb. Vallecito",
    "Urb. Selva Alegre",
    "Urb. Challapampa",
    "Urb. Dolores",
    "Urb. Los Pinos",
    "Urb. Bancarios",
    "Urb. Daniel Alcides Carrión",
    "Urb. Primavera",
    "Urb. San Jerónimo",
    "Urb. Miguel Grau",
    "Urb. Jesús María",
    "Asoc. Villa Ecológica",
    "Asoc. Los Portales",
    "Asoc. Horacio Zeballos",
    "Asoc. Mi Chacrita",
    "Asoc. Las Flores",
    "Asoc. El Mirador",
    "Asoc. Santa María",
    "AA.HH. Nuevo Amanecer",
    "AA.HH. Villa Salvador",
    "AA.HH. Héroes del Cenepa",
    "Pueblo Tradicional Pampa de Camarones",
    "Anexo Pachacútec Viejo",
    "Anexo Huayco",
    "Anexo Cerro Verde",
    "Anexo Uyupampa",
    "Sector Ciudad Mi Trabajo",
    "Sector Pampas del Cusco",
    "Sector José Olaya",
    "Sector Villa Magisterial",
    "Sector Las Canteras",
    "Sector Río Seco",
    "Sector Ccollpa",
    "Sector Cerro Chico",
    "Sector Totorani",
    "Sector Sumbay",
    "Sector Yanayaco",
    "Sector Chullo",
    "Sector Añashuayco",
]

DISTRICTS = [name for _, name in METROPOLITAN_DISTRICTS + OTHER_DISTRICTS]
METROPOLITAN = [name for _, name in METROPOLITAN_DISTRICTS]

PURPOSES = [
    "mejorar la transitabilidad vehicular y peatonal",
    "reducir el riesgo ante huaicos y lluvias intensas",
    "ampliar el acceso a servicios básicos",
    "recuperar espacios públicos para la recreación",
    "mejorar la atención de salud del primer nivel",
    "garantizar el riego de las chacras de la campiña",
    "promover el turismo y el comercio local",
    "mejorar las condiciones de estudio de los escolares",
]

# names write "Av.", "Urb.", "Psje."...; residents type either that or the whole word
SPELL_OUT = {
    "av": "avenida",
    "urb": "urbanizacion",
    "psje": "pasaje",
    "jr": "jiron",
    "prolong": "prolongacion",
}
VOWELS = "aeiou"


@dataclass
class Project:
    code: str
    name: str
    description: str
    districts: list[str]


def portfolio(n: int, rng: random.Random) -> list[Project]:
    seen: set[tuple[str, str, str]] = set()
    out: list[Project] = []
    while len(out) < n:
        obj, street, settlement = rng.choice(OBJECTS), rng.choice(STREETS), rng.choice(SETTLEMENTS)
        if (obj, street, settlement) in seen:
            continue
        seen.add((obj, street, settlement))
        district = rng.choice(METROPOLITAN) if rng.random() < 0.85 else rng.choice(DISTRICTS)
        districts = [district]
        if rng.random() < 0.1:
            districts.append(rng.choice(METROPOLITAN))
        name = f"{rng.choice(WORKS)} {obj} en la {street}, {settlement}"
        if rng.random() < 0.4:
            name += f", distrito de {district}"
        description = (
            f"El proyecto busca {rng.choice(PURPOSES)} en {settlement}, distrito de {district}. "
            f"Beneficiará a {rng.randint(80, 9000)} familias"
            + (f" y se ejecutará por etapas desde la {rng.choice(STREETS)}." if rng.random() < 0.5 else ".")
        )
        out.append(Project(f"P-{len(out) + 1:03d}", name, description, districts))
    return out


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)  # people rarely get the first letter wrong
    kind = rng.choice(("delete", "swap", "double", "vowel"))
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    vowels = [j for j, c in enumerate(word) if c in VOWELS and j > 0]
    if not vowels:
        return word[:i] + word[i + 1 :]
    j = rng.choice(vowels)
    return word[:j] + rng.choice([v for v in VOWELS if v != word[j]]) + word[j + 1 :]


def loose_code(code: str, rng: random.Random) -> str:
    number = code.split("-", 1)[1]
    short = str(int(number))
    p = rng.choice("pP")
    return rng.choice([f"{p}{short}", f"{p}-{short}", f"{p} {short}", f"{p}{number}", f"{p}-{number}"])


def queries(projects: list[Project], n: int, rng: random.Random) -> tuple[list[tuple[str, str]], int]:
    """(query, intended code) pairs, and how many needed more words than first drawn to be unambiguous."""
    name_words = [
        set(normalize(p.name).split()) | set(normalize(" ".join(p.districts)).split()) for p in projects
    ]
    df = Counter(w for words in name_words for w in words)
    postings: dict[str, set[int]] = {}
    for i, words in enumerate(name_words):
        for w in words:
            postings.setdefault(w, set()).add(i)
    out: list[tuple[str, str]] = []
    extended = 0
    for _ in range(n):
        i = rng.randrange(len(projects))
        project = projects[i]
        if rng.random() < 0.08:
            out.append((loose_code(project.code, rng), project.code))
            continue
        ordered = list(dict.fromkeys(normalize(project.name).split()))  # the name's words, in its order
        rarest = sorted(ordered, key=lambda w: (df[w], rng.random()))
        k = rng.randint(1, 3)
        chosen = set(rarest[:k])
        # a resident who knows the project adds words until it is the only one (or one of three)
        while len(set.intersection(*(postings[w] for w in chosen))) > 3 and len(chosen) < len(rarest):
            chosen.add(rarest[len(chosen)])
            extended += 1 if len(chosen) == k + 1 else 0
        words = [w for w in ordered if w in chosen]
        if rng.random() < 0.25:
            district = rng.choice(project.districts)
            words += [w for w in normalize(district).split() if w not in words]
        words = [SPELL_OUT.get(w, w) if rng.random() < 0.3 else w for w in words]
        if rng.random() < 0.5:
            words = [w.replace("ñ", "n") for w in words]
        for _ in range(rng.choices((0, 1, 2), weights=(35, 45, 20))[0]):
            j = rng.randrange(len(words))
            words[j] = typo(words[j], rng)
        if rng.random() < 0.2:
            rng.shuffle(words)
        out.append((" ".join(words), project.code))
    return out, extended


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=50_000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--show-misses", action="store_true", help="list the missed queries on stderr")
    args = ap.parse_args(argv)

    rng = random.Random(args.seed)
    projects = portfolio(args.projects, rng)
    started = time.perf_counter()
    index = ProjectIndex()
    for p in projects:
        index.add(p.code, p.name, p.description, p.districts)
    build_s = time.perf_counter() - started
    asked, extended = queries(projects, args.queries, rng)

    by_code = {p.code: p for p in projects}
    times: list[float] = []
    top3 = 0
    for query, code in asked:
        t0 = time.perf_counter()
        hits = index.search(query, limit=5)
        times.append((time.perf_counter() - t0) * 1000)
        if code in [h.code for h in hits[:3]]:
            top3 += 1
        elif args.show_misses:
            got = [(h.code, h.score, by_code[h.code].name) for h in hits[:3]]
            print(f"MISS {query!r} -> {code} {by_code[code].name!r}\n     got {got}", file=sys.stderr)
    times.sort()
    # residents also type things that are not in the portfolio: those should find nothing
    letters = "abcdefghijklmnopqrstuvwxyz"
    gibberish = [
        " ".join(
            "".join(rng.choice(letters) for _ in range(rng.randint(4, 9))) for _ in range(rng.randint(1, 3))
        )
        for _ in range(200)
    ]
    empty = sum(1 for g in gibberish if not index.search(g))
    result = {
        "projects": len(index),
        "queries": len(asked),
        "build_s": round(build_s, 2),
        "p50_ms": round(statistics.median(times), 3),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 3),
        "max_ms": round(times[-1], 3),
        "top3_hit_rate": round(top3 / len(asked), 4),
        "extended_queries": extended,
        "gibberish_empty_rate": round(empty / len(gibberish), 3),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
