"""Spanish text helpers: normalisation for search and similarity, validation, escaping."""

from __future__ import annotations

import html
import re
import unicodedata

STOPWORDS = frozenset(
    """a al algo algun alguna algunas alguno algunos ante antes asi aun cada como con contra cual
    cuando de del desde donde dos el ella ellas ellos en entre era es esa esas ese eso esos esta estan
    estas este esto estos fue ha hace hacer hacia han hasta hay la las le les lo los mas me mi mis muy
    mucho mucha muchos muchas nada ni no nos nuestra nuestro nuestros nuestras o os otra otro otros para
    pero poco por porque que se sea ser si sin sobre solo son su sus tambien tan tanto te tiene tienen
    todo todos toda todas tu tus un una unas uno unos y ya yo favor pedimos solicitamos queremos necesitamos
    urgente zona barrio calle""".split()
)

_WORD = re.compile(r"[a-z0-9ñ]+")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


def strip_accents(text: str) -> str:
    # keep ñ (it distinguishes words) but drop other diacritics
    text = text.replace("ñ", "\0").replace("Ñ", "\1")
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return text.replace("\0", "ñ").replace("\1", "Ñ")


def normalize(text: str) -> str:
    """Lower case, no accents, no stop-words, single spaces: the form compared by similarity."""
    words = _WORD.findall(strip_accents(text.lower()))
    return " ".join(w for w in words if w not in STOPWORDS and len(w) > 1)


def clean_input(text: str) -> str:
    """Trim and collapse runs of blank lines/spaces a resident typed; keep single newlines."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


def letter_count(text: str) -> int:
    return len(_LETTER.findall(text))


def has_letters(text: str) -> bool:
    return letter_count(text) > 0


def esc(text: object) -> str:
    """Escape a user-supplied value for Telegram HTML parse mode."""
    return html.escape(str(text), quote=False)


def truncate(text: str, limit: int, ellipsis: str = "…") -> str:
    return text if len(text) <= limit else text[: limit - len(ellipsis)].rstrip() + ellipsis
