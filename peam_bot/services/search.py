"""In-memory search over the project portfolio, tolerant of typos, missing accents and abbreviations.

Residents type things like "puente chilna", "av ejercito", "p12" or "yura termal". The index keeps:

* the project codes by their number, so "p-12", "P012" and "P-012" all find P-012;
* an inverted index from normalised words to the projects whose name, districts or description
  contain them (compact arrays; removed projects are tombstones until the next compaction);
* a trigram index of the vocabulary, so a misspelt word is compared (optimal string alignment,
  which counts a swap of two letters as one edit) only against the few words sharing trigrams with it,
  and a sorted copy of the vocabulary for words typed half-way.

A query scores each project by the IDF-weighted share of the query words it contains (a word in the
name counts more than in the districts, which counts more than in the description; a misspelt or
truncated word counts a bit less); the best candidates are re-ranked with a fuzzy comparison of the
whole query with the name. Below a minimum score nothing is returned, so callers can say "no encontré
nada". No database, no aiogram: a loader feeds it rows (see `from_rows`).
"""

from __future__ import annotations

import bisect
import heapq
import math
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from peam_bot.services.text import STOPWORDS, strip_accents

__all__ = ["Hit", "ProjectIndex", "from_rows", "search_tokens"]

# Abbreviations residents (and project names) use, expanded on both sides of the comparison.
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "av": ("avenida",),
    "avda": ("avenida",),
    "avd": ("avenida",),
    "urb": ("urbanizacion",),
    "psje": ("pasaje",),
    "pje": ("pasaje",),
    "pj": ("pasaje",),
    "pasj": ("pasaje",),
    "jr": ("jiron",),
    "jir": ("jiron",),
    "ca": ("calle",),
    "cl": ("calle",),
    "clle": ("calle",),
    "prolong": ("prolongacion",),
    "prol": ("prolongacion",),
    "cdra": ("cuadra",),
    "mz": ("manzana",),
    "mza": ("manzana",),
    "lt": ("lote",),
    "asoc": ("asociacion",),
    "coop": ("cooperativa",),
    "aahh": ("asentamiento", "humano"),
    "ppjj": ("pueblo", "joven"),
    "pj.": ("pueblo", "joven"),
    "sta": ("santa",),
    "sto": ("santo",),
    "sr": ("senor",),
    "sra": ("senora",),
    "gral": ("general",),
    "crnl": ("coronel",),
    "mcal": ("mariscal",),
    "pte": ("puente",),
    "ie": ("institucion", "educativa"),
    "iiee": ("institucion", "educativa"),
    "cs": ("centro", "salud"),
    "ps": ("puesto", "salud"),
    "jlbyr": ("jose", "luis", "bustamante", "rivero"),
    "jlbr": ("jose", "luis", "bustamante", "rivero"),
    "jlb": ("jose", "luis", "bustamante", "rivero"),
    "asa": ("alto", "selva", "alegre"),
}

# Field weights: a word in the project's name says more than one in its districts or description.
NAME_WEIGHT = 1.0
DISTRICT_WEIGHT = 0.75
DESCRIPTION_WEIGHT = 0.35
_FIELDS = ((0, NAME_WEIGHT), (1, DISTRICT_WEIGHT), (2, DESCRIPTION_WEIGHT))

MIN_SCORE = 45.0  # below this a hit is noise: better to say nothing was found
PREFIX_MIN = 4  # a typed word this long may be the start of a longer word
PREFIX_LIMIT = 24
RERANK = 40  # candidates re-ranked with the fuzzy name comparison
COMMON_SHARE = 0.06  # words in more than this share of projects only re-score candidates
_AA_HH = re.compile(r"\ba\.?\s?a\.?\s?h\.?\s?h\b\.?")
_PP_JJ = re.compile(r"\bp\.?\s?p\.?\s?j\.?\s?j\b\.?")
_WORD = re.compile(r"[a-z0-9ñ]+")
_CODE = re.compile(r"^p-?(\d{3,})$", re.IGNORECASE)
_QUERY_CODE = re.compile(r"(?<![a-z0-9])p\s*[-–.#°º]?\s*(\d{1,7})(?![0-9])")


def search_tokens(text: str) -> list[str]:
    """Words of `text` as the index compares them: lower case, no accents (ñ folded to n as well,
    since many keyboards lack it), abbreviations expanded, stop-words and single letters dropped."""
    text = strip_accents(text.lower())
    text = _AA_HH.sub(" aahh ", _PP_JJ.sub(" ppjj ", text))
    out: list[str] = []
    for word in _WORD.findall(text):
        for w in ABBREVIATIONS.get(word, (word,)):
            w = w.replace("ñ", "n")
            if w in STOPWORDS or (len(w) < 2 and not w.isdigit()):
                continue
            out.append(w)
    return out


def _code_number(code: str) -> int | None:
    m = _CODE.match(code.strip())
    return int(m.group(1)) if m else None


def _grams(word: str) -> set[str]:
    padded = f"^{word}$"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _max_edits(length: int) -> int:
    if length < 4:
        return 0
    if length < 7:
        return 1
    if length < 12:
        return 2
    return 3


@dataclass(frozen=True)
class Hit:
    code: str
    score: float  # 0-100


@dataclass(slots=True)
class _Doc:
    code: str
    name: str  # normalised words of the name, for the fuzzy re-ranking
    fields: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]  # word ids: name, districts, description


class ProjectIndex:
    def __init__(self) -> None:
        self._docs: list[_Doc | None] = []
        self._by_code: dict[str, int] = {}
        self._by_number: dict[int, list[str]] = {}
        self._live = 0
        self._words: list[str] = []
        self._word_ids: dict[str, int] = {}
        self._df: list[int] = []  # live projects containing the word in any field
        self._postings: list[tuple[array, array, array]] = []  # per word: doc ids per field
        self._grams: dict[str, array] = {}
        self._sorted: list[str] | None = None

    # ------------------------------------------------------------------ building

    def __len__(self) -> int:
        return self._live

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip().upper() in self._by_code

    def add(self, code: str, name: str, description: str, districts: list[str]) -> None:
        """Index a project; adding a code that is already there replaces that project."""
        code = code.strip().upper()
        if code in self._by_code:
            self.remove(code)
        name_ids = self._ids(search_tokens(name))
        district_ids = self._ids([w for d in districts for w in search_tokens(d)])
        description_ids = self._ids(search_tokens(description))
        doc_id = len(self._docs)
        doc = _Doc(code, " ".join(search_tokens(name)), (name_ids, district_ids, description_ids))
        self._docs.append(doc)
        self._by_code[code] = doc_id
        number = _code_number(code)
        if number is not None:
            self._by_number.setdefault(number, []).append(code)
        self._live += 1
        self._post(doc_id, doc)

    def remove(self, code: str) -> None:
        """Forget a project; unknown codes are ignored."""
        code = code.strip().upper()
        doc_id = self._by_code.pop(code, None)
        if doc_id is None:
            return
        doc = self._docs[doc_id]
        assert doc is not None
        self._docs[doc_id] = None
        self._live -= 1
        for word in set().union(*doc.fields):
            self._df[word] -= 1
        number = _code_number(code)
        if number is not None:
            codes = self._by_number[number]
            codes.remove(code)
            if not codes:
                del self._by_number[number]
        dead = len(self._docs) - self._live
        if dead > 1000 and dead > self._live:
            self._compact()

    def _ids(self, words: Sequence[str]) -> tuple[int, ...]:
        out: dict[int, None] = {}
        for w in words:
            wid = self._word_ids.get(w)
            if wid is None:
                wid = len(self._words)
                self._word_ids[w] = wid
                self._words.append(w)
                self._df.append(0)
                self._postings.append((array("i"), array("i"), array("i")))
                if len(w) >= 4:
                    for g in _grams(w):
                        self._grams.setdefault(g, array("i")).append(wid)
                self._sorted = None
            out[wid] = None
        return tuple(out)

    def _post(self, doc_id: int, doc: _Doc) -> None:
        for field, words in enumerate(doc.fields):
            for w in words:
                self._postings[w][field].append(doc_id)
        for w in set().union(*doc.fields):
            self._df[w] += 1

    def _compact(self) -> None:
        """Drop the tombstones of removed projects from the postings (word ids stay)."""
        docs = [d for d in self._docs if d is not None]
        self._docs = docs
        self._by_code = {d.code: i for i, d in enumerate(docs)}
        self._postings = [(array("i"), array("i"), array("i")) for _ in self._words]
        self._df = [0] * len(self._words)
        for i, d in enumerate(docs):
            self._post(i, d)

    # ------------------------------------------------------------------ searching

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        """Best matches first; [] when nothing is reasonably close."""
        if limit <= 0 or not query or not self._live:
            return []
        lowered = strip_accents(query.lower())
        code_hits: list[Hit] = []
        seen: set[str] = set()
        for m in _QUERY_CODE.finditer(lowered):
            for code in self._by_number.get(int(m.group(1)), ()):
                if code not in seen:
                    seen.add(code)
                    code_hits.append(Hit(code, 100.0))
        if code_hits:
            lowered = _QUERY_CODE.sub(" ", lowered)
        elif lowered.strip().isdigit() and len(lowered.strip()) <= 7:  # just "12": maybe a code
            for code in self._by_number.get(int(lowered.strip()), ()):
                seen.add(code)
                code_hits.append(Hit(code, 90.0))
        text_hits = [h for h in self._text_search(lowered, limit + len(seen)) if h.code not in seen]
        return (code_hits + text_hits)[:limit]

    def _expand(self, token: str) -> list[tuple[int, float]]:
        """Vocabulary words a typed word may stand for, with how much each match is worth (≤ 1)."""
        exact = self._word_ids.get(token)
        if exact is not None and self._df[exact] > 0:
            return [(exact, 1.0)]
        out: dict[int, float] = {}
        n = len(token)
        edits = _max_edits(n)
        if edits and not token.isdigit():
            counts: dict[int, int] = {}
            for g in _grams(token):
                for wid in self._grams.get(g, ()):
                    counts[wid] = counts.get(wid, 0) + 1
            need = max(1, n - 3 * edits)
            words = self._words
            for wid, shared in counts.items():
                if shared < need or self._df[wid] == 0:
                    continue
                word = words[wid]
                if abs(len(word) - n) > edits:
                    continue
                dist = OSA.distance(token, word, score_cutoff=edits)
                if dist <= edits:
                    out[wid] = 1.0 - 0.12 * dist - (0.1 if token[0] != word[0] else 0.0)
        if n >= PREFIX_MIN and not token.isdigit():
            if self._sorted is None:
                self._sorted = sorted(self._word_ids)
            vocab = self._sorted
            i = bisect.bisect_left(vocab, token)
            taken = 0
            while i < len(vocab) and vocab[i].startswith(token) and taken < PREFIX_LIMIT:
                wid = self._word_ids[vocab[i]]
                if self._df[wid] > 0:
                    weight = 0.9 - 0.25 * (1 - n / len(vocab[i]))
                    if weight > out.get(wid, 0.0):
                        out[wid] = weight
                    taken += 1
                i += 1
        return sorted(out.items(), key=lambda kv: -kv[1])

    def _idf(self, wid: int) -> float:
        df = self._df[wid]
        return math.log(1.0 + (self._live - df + 0.5) / (df + 0.5))

    def _text_search(self, lowered: str, limit: int) -> list[Hit]:
        tokens = list(dict.fromkeys(search_tokens(lowered)))
        if not tokens:
            return []
        unknown_idf = math.log(1.0 + self._live / 4)  # a word matching nothing still counts against
        weighted: list[tuple[list[tuple[int, float, float]], int]] = []  # (word, match, match × idf), size
        possible = 0.0
        for token in tokens:
            expansions = [(wid, w, w * self._idf(wid)) for wid, w in self._expand(token)]
            if not expansions:
                possible += unknown_idf
                continue
            possible += max(e[2] for e in expansions)
            size = sum(self._df[wid] for wid, _, _ in expansions)
            weighted.append((expansions, size))
        if not weighted:
            return []
        weighted.sort(key=lambda t: t[1])
        common_limit = max(200, int(COMMON_SHARE * self._live))
        scores: dict[int, float] = {}
        deferred: list[list[tuple[int, float, float]]] = []
        for expansions, size in weighted:
            if scores and size > common_limit:
                deferred.append(expansions)
                continue
            # every (word, field) pair best first, so the first value a project gets is its best
            pairs = sorted(
                ((wid, field, value * fw) for wid, _, value in expansions for field, fw in _FIELDS),
                key=lambda p: -p[2],
            )
            best: dict[int, float] = {}
            for wid, field, value in pairs:
                for d in self._postings[wid][field]:
                    if d not in best:
                        best[d] = value
            for d, value in best.items():
                scores[d] = scores.get(d, 0.0) + value
        docs = self._docs
        if deferred:
            pool = heapq.nlargest(RERANK * 25, scores.items(), key=lambda kv: kv[1])
            scores = dict(pool)
            for expansions in deferred:
                for d in scores:
                    doc = docs[d]
                    if doc is None:
                        continue
                    top = 0.0
                    for wid, _, value in expansions:
                        for field, fw in _FIELDS:
                            if value * fw > top and wid in doc.fields[field]:
                                top = value * fw
                                break
                    scores[d] += top
        pool = heapq.nlargest(RERANK + limit, ((s, d) for d, s in scores.items() if docs[d] is not None))
        query_text = " ".join(tokens)
        hits: list[tuple[float, str]] = []
        for s, d in pool:
            doc = docs[d]
            assert doc is not None
            coverage = min(1.0, s / possible)
            similarity = fuzz.token_set_ratio(query_text, doc.name) if doc.name else 0.0
            score = round(85.0 * coverage + 0.15 * similarity, 1)
            if score >= MIN_SCORE:
                hits.append((score, doc.code))
        hits.sort(key=lambda h: (-h[0], h[1]))
        return [Hit(code, score) for score, code in hits[:limit]]


def from_rows(rows: Iterable[tuple[str, str, str, list[str]]]) -> ProjectIndex:
    """An index of (code, name, description, district names) rows, e.g. straight from the database."""
    index = ProjectIndex()
    for code, name, description, districts in rows:
        index.add(code, name, description, list(districts))
    return index
