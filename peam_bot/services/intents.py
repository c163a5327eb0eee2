"""What a resident's free text asks for, before it is taken as a search of the portfolio.

Residents write "hola", "gracias", "quiero inscribirme en un taller", "¿cuándo es la próxima mesa?" or
"cómo va mi iniciativa" where the bot expected nothing; only what looks like a project name should be
searched. :func:`classify` reads the text deterministically:

* each word is lower-cased, stripped of accents (ñ kept), of letters repeated for emphasis
  ("holaaa") and of chat spellings ("xfa", "q", "grax"); phrases ("buenos días", "cómo va",
  "thank you") are read first, then single words, exactly or, for words of five letters or more,
  with one typo (two from eight letters: "inscrivirme", "capasitacion");
* each known word stands for a concept (an event word, a possessive, a greeting…); rules over the
  concepts pick the intent, the most specific first (a ticket before an event, a mesa before a
  taller, "mi iniciativa" before "iniciativa");
* words that are none of these are what is left to search: a greeting with a project name
  ("hola, puente chilina") is a search, and so is "cómo va el puente chilina". A text with no known
  word at all is searched as typed, as before.

No aiogram, no database: the handlers decide what each intent shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from rapidfuzz.distance import OSA

from peam_bot.services.text import STOPWORDS, strip_accents

__all__ = ["Intent", "Kind", "classify"]


class Kind(StrEnum):
    GREETING = "greeting"
    THANKS = "thanks"
    HELP = "help"
    EVENTS = "events"
    MESAS = "mesas"
    MY_REGISTRATIONS = "my_registrations"
    PROPOSE = "propose"
    MY_INITIATIVES = "my_initiatives"
    STATUS = "status"
    PROJECTS = "projects"
    FOLLOW = "follow"
    LANGUAGE = "language"
    DISTRICT = "district"
    SEARCH = "search"


@dataclass(frozen=True, slots=True)
class Intent:
    kind: Kind
    code: str | None = None  # an initiative code (STATUS) or a project code (SEARCH)
    query: str = ""  # SEARCH: what to look for


# --- the lexicon: concept → words (already without accents; ñ kept) -------------------------------

GREET, THANK, HELP, EVENT, REGISTER, REGISTERED, REG_NOUN, TICKET = (
    "greet", "thank", "help", "event", "register", "registered", "reg_noun", "ticket",
)  # fmt: skip
MESA, INI_NOUN, PROPOSE, STATUS, PROJECT, FOLLOW, LANG, DISTRICT = (
    "mesa", "ini_noun", "propose", "status", "project", "follow", "lang", "district",
)  # fmt: skip
SEARCH, POSS, FILLER, NEW, ASK = "search", "poss", "filler", "new", "ask"

WORDS: dict[str, str] = {}
PHRASES: dict[tuple[str, ...], str] = {}


def _words(concept: str, words: str) -> None:
    for item in words.split(","):
        parts = tuple(item.split())
        if len(parts) == 1:
            WORDS[parts[0]] = concept
        elif parts:
            PHRASES[parts] = concept


_words(GREET, "hola, holi, holis, buenas, buenos, buen, saludos, hi, hello, hey, alo, wenas, buenos dias, "
       "buenas tardes, buenas noches, que tal, que fue, que hay, como esta, como estas, como le va, "
       "good morning, good afternoon, good evening")  # fmt: skip
_words(THANK, "gracias, agradezco, agradecido, agradecida, agradecemos, thanks, thank, merci, amable, ok, okey, "
       "okay, oki, listo, vale, perfecto, genial, excelente, chevere, bacan, entendido, chau, chao, adios, "
       "bye, dios le pague, se agradece, muy amable, thank you, hasta luego, hasta pronto")  # fmt: skip
_words(HELP, "ayuda, ayudame, ayudeme, ayudar, ayudarme, help, menu, opciones, comandos, commands, informacion, "
       "orientacion, funciona, que puedo hacer, que haces, que hace, que es, no entiendo, how does")  # fmt: skip
_words(EVENT, "taller, talleres, evento, eventos, capacitacion, capacitaciones, capacitarme, jornada, jornadas, "
       "charla, charlas, curso, cursos, seminario, seminarios, conferencia, conferencias, exposicion, "
       "exposiciones, workshop, workshops, event, events, actividad, actividades, presentacion, reunion, "
       "reuniones, training, meeting, meetings")  # fmt: skip
_words(REGISTER, "inscribirme, inscribir, inscribirse, inscribirnos, inscribo, inscribimos, apuntarme, anotarme, "
       "registrarme, registrarse, register, enroll, signup, participar, asistir, sign up")  # fmt: skip
_words(REGISTERED, "inscrito, inscrita, inscritos, inscritas, inscribi, registrado, registrada, registered, "
       "me anote, me apunte")  # fmt: skip
_words(REG_NOUN, "inscripcion, inscripciones, entrada, entradas, registration, registrations, cupo, cupos, "
       "pase")  # fmt: skip
_words(TICKET, "ticket, tickets, boleto, boletos, qr, codigo qr")
_words(MESA, "mesa, mesas, meza, mezas, concertacion, roundtable, round table, round tables")
_words(INI_NOUN, "iniciativa, iniciativas, propuesta, propuestas, pedido, pedidos, solicitud, solicitudes, "
       "tramite, initiative, initiatives, proposal, proposals, idea, ideas, sugerencia, sugerencias")  # fmt: skip
_words(PROPOSE, "proponer, propongo, proponemos, propose, sugerir, sugiero, suggest")
# asking for something: a proposal, unless the text asks for something the bot has a screen for
_words(ASK, "pedir, pido, pedimos, solicitar, solicito, solicitamos, necesitamos, presentar, enviar, mandar, "
       "request")
_words(NEW, "nueva, nuevo, otra, new")
_words(STATUS, "estado, status, avance, avances, consultar, revisaron, respondieron, respuesta, aprobaron, "
       "aprobada, admitida, rechazada, como va, como van, como vamos, que paso, que fue de, paso con, "
       "how is")  # fmt: skip
_words(PROJECT, "proyecto, proyectos, obra, obras, cartera, project, projects, works, inversiones")
_words(FOLLOW, "siguiendo, sigo, seguir, seguidos, following, follow, notificaciones, avisos, suscribirme, "
       "suscribir, subscribe")  # fmt: skip
_words(LANG, "idioma, idiomas, lenguaje, language, ingles, english, español, espanol, spanish, castellano")
_words(DISTRICT, "distrito, district, me mude, mude, mudamos")
_words(SEARCH, "buscar, busco, buscando, search, find, encontrar")
_words(POSS, "mi, mis, my, nuestra, nuestras, nuestro, nuestros, our")
# words that carry no request of their own (courtesy, "I want to know", Arequipa and chat fillers)
_words(FILLER, "quiero, quisiera, queria, queremos, quisieramos, deseo, deseamos, puedo, podria, podemos, "
       "necesito, gustaria, saber, ver, mostrar, muestrame, muestreme, dame, deme, hay, tienen, tiene, consulta, "
       "pregunta, preguntar, disculpe, disculpa, perdon, señor, señora, señorita, srta, joven, amigo, amiga, "
       "porfa, porfis, porfavor, please, pe, pues, causa, oe, oye, bot, dias, tardes, "
       "noches, dia, proxima, proximo, proximas, proximos, fecha, fechas, horario, cuando, donde, want, would, "
       "like, know, show, see, next, when, where, is, are, the, to, an, for, of, in, on, me, can, do, you, "
       "there, any, what, how, about, lista, sobre, tengo, tenemos, hacer, quiere, vecino, vecina, vecinos, "
       "achachau, atatau, chango, lique, mamita, papito, peam, aqplan, mil, muchisimas, mucho, bien, bueno, buena, "
       "super, nomas, ahi, aqui, entonces, igualmente, cambiar, cambio, change, actualizar, recibir, lot, much, "
       "very, so, again, i, get, go, going, it, be")  # fmt: skip

# chat spellings, before the lexicon
SPELLINGS = {
    "q": "que", "k": "que", "ke": "que", "xq": "porque", "pq": "porque", "x": "por", "xfa": "porfa",
    "xfavor": "porfavor", "plis": "please", "pls": "please", "plz": "please", "grax": "gracias",
    "grasias": "gracias", "grs": "gracias", "grcs": "gracias", "thx": "thanks", "ty": "thanks",
    "info": "informacion", "ola": "hola", "bns": "buenas", "bn": "buen", "tb": "tambien",
    "tmb": "tambien", "pa": "para", "d": "de", "dnd": "donde", "cdo": "cuando", "kiero": "quiero",
    "qiero": "quiero", "tdes": "tardes", "ntc": "nada",
}  # fmt: skip

# emoji (a message with no letters at all)
THANK_EMOJI = set("👍🙏👌❤😊🙂🥰💪✅🤝")
GREET_EMOJI = set("👋🖐✋🙋")

INI_CODE = re.compile(r"(?i)\bINI\s*-?\s*(\d{4})\s*-?\s*(\d{1,5})\b")
PROJECT_CODE = re.compile(r"(?i)(?<![\w-])P\s*-?\s*(\d{1,6})(?![\w-])")
_SPAN = re.compile(r"[^\W_]+")
_REPEATS = re.compile(r"(\w)\1{2,}")
_FUZZY = sorted(w for w, c in WORDS.items() if len(w) >= 5 and c not in (FILLER, POSS))  # fillers: exact only
_EXTRA_STOP = frozenset("a am im and or with by at".split())


@lru_cache(maxsize=4096)
def _concept(token: str) -> str | None:
    """The concept of one normalised word: exact, else the nearest word one typo away (two from
    eight letters), starting with the same letter; stop-words and fillers are never guessed ("tingo"
    is not "tengo")."""
    if token in WORDS:
        return WORDS[token]
    if len(token) < 5 or token in STOPWORDS:
        return None
    limit = 1 if len(token) < 8 else 2
    best, best_distance = None, limit + 1
    for word in _FUZZY:
        if word[0] != token[0] or abs(len(word) - len(token)) > limit:
            continue
        distance = OSA.distance(token, word, score_cutoff=limit)
        if distance < best_distance:
            best, best_distance = word, distance
    return WORDS[best] if best is not None else None


def _token(span: str) -> str:
    word = _REPEATS.sub(r"\1", strip_accents(span.lower()))
    return SPELLINGS.get(word, word)


@dataclass(slots=True)
class _Reading:
    spans: list[str]  # the words as typed
    tokens: list[str]  # normalised
    concepts: list[str | None]  # per word (a phrase marks each of its words)

    def has(self, *concepts: str) -> bool:
        return any(c in concepts for c in self.concepts)

    def near(self, concept: str, before: str, window: int = 3) -> bool:
        """`concept` with `before` at most `window` words ahead of it ("mis próximas inscripciones")."""
        for i, c in enumerate(self.concepts):
            if c == concept and before in self.concepts[max(0, i - window) : i]:
                return True
        return False

    def left(self) -> list[int]:
        """Indices of the words that are no concept and no stop-word: what a search would look for."""
        return [
            i
            for i, (t, c) in enumerate(zip(self.tokens, self.concepts, strict=True))
            if c is None and t not in STOPWORDS and t not in _EXTRA_STOP and len(t) > 1
        ]

    def query(self) -> str:
        """The typed words without the known ones, trimmed of stop-words at both ends."""
        keep = [i for i, c in enumerate(self.concepts) if c is None]
        while keep and self.tokens[keep[0]] in STOPWORDS | _EXTRA_STOP:
            keep.pop(0)
        while keep and self.tokens[keep[-1]] in STOPWORDS | _EXTRA_STOP:
            keep.pop()
        return " ".join(self.spans[i] for i in keep)


def _read(text: str) -> _Reading:
    spans = _SPAN.findall(text)
    tokens = [_token(s) for s in spans]
    concepts: list[str | None] = [None] * len(tokens)
    longest = max(len(p) for p in PHRASES)
    i = 0
    while i < len(tokens):
        for size in range(min(longest, len(tokens) - i), 1, -1):
            concept = PHRASES.get(tuple(tokens[i : i + size]))
            if concept is not None:
                concepts[i : i + size] = [concept] * size
                i += size
                break
        else:
            concepts[i] = _concept(tokens[i])
            i += 1
    return _Reading(spans, tokens, concepts)


def classify(text: str) -> Intent:
    """The intent of a resident's free text (see the module's description)."""
    text = text.strip()
    if m := INI_CODE.search(text):
        return Intent(Kind.STATUS, code=f"INI-{m.group(1)}-{int(m.group(2)):05d}")
    if m := PROJECT_CODE.search(text):
        code = f"P-{int(m.group(1)):03d}"
        return Intent(Kind.SEARCH, code=code, query=code)
    r = _read(text)
    if not r.tokens:
        if set(text) & GREET_EMOJI:
            return Intent(Kind.GREETING)
        return Intent(Kind.THANKS) if set(text) & THANK_EMOJI else Intent(Kind.HELP)
    left = r.left()

    def or_search(kind: Kind) -> Intent:
        return Intent(Kind.SEARCH, query=r.query()) if left else Intent(kind)

    if r.has(REGISTERED, TICKET) or r.near(REG_NOUN, POSS):
        return Intent(Kind.MY_REGISTRATIONS)
    if r.has(MESA):
        return Intent(Kind.MESAS)
    mine = r.near(INI_NOUN, POSS) or (r.has(INI_NOUN) and r.has(STATUS))
    if mine and (r.has(STATUS) or not r.has(PROPOSE, ASK, NEW)):
        return Intent(Kind.MY_INITIATIVES)
    if r.has(PROPOSE, INI_NOUN):
        return Intent(Kind.PROPOSE)
    if r.has(EVENT, REGISTER, REG_NOUN):
        return Intent(Kind.EVENTS)
    if r.has(SEARCH):
        return Intent(Kind.SEARCH, query=r.query()) if left else Intent(Kind.PROJECTS)
    if r.has(FOLLOW):
        return or_search(Kind.FOLLOW)
    if r.has(PROJECT):
        return or_search(Kind.PROJECTS)
    if r.has(STATUS):
        return or_search(Kind.STATUS)
    if r.has(LANG):
        return Intent(Kind.LANGUAGE)
    if r.has(DISTRICT):
        return or_search(Kind.DISTRICT)
    if r.has(HELP):
        return or_search(Kind.HELP)
    if r.has(ASK):
        return Intent(Kind.PROPOSE)
    if not r.has(GREET, THANK, FILLER, POSS, NEW, ASK):
        return Intent(Kind.SEARCH, query=text)  # nothing known: searched as typed
    if left:
        return Intent(Kind.SEARCH, query=r.query())
    if r.has(THANK):
        return Intent(Kind.THANKS)
    if r.has(GREET):
        return Intent(Kind.GREETING)
    return Intent(Kind.HELP)  # only "una consulta", "quiero saber": say what the bot does
