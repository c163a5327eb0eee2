"""In-memory search over the project portfolio, tolerant of typos, missing accents and abbreviations.

Residents type things like "puente chilna", "av ejercito", "p12" or "yura termal". The index keeps:

* the project codes by their number, so "p-12", "P012" and "P-012" all find P-012;
* an inverted index from normalised words to the projects whose name, districts or description
  contain them (compact arrays; removed projects are tombstones until the next compaction);
* the spellings seen, each pointing at its stem (plural and gender folded: "termales" and "termal",
  "ecologica" and "ecologico" share one); a misspelt word finds the spellings one edit away (missing,
  extra, wrong or swapped letter) through their one-letter deletions, spellings two or three edits away
  (long words only) through shared trigrams checked with the optimal string alignment distance, and
  words typed half-way through a sorted copy of the spellings.

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
DESCRIPTION_WEIGHT = 0.5
_FIELDS = ((0, NAME_WEIGHT), (1, DISTRICT_WEIGHT), (2, DESCRIPTION_WEIGHT))

MIN_SCORE = 40.0  # below this a hit is noise: better to say nothing was found
PREFIX_MIN = 4  # a typed word this long may be the start of a longer word
PREFIX_LIMIT = 24
RERANK = 40  # candidates re-ranked with the fuzzy name comparison
COMMON_SHARE = 0.06  # words in more than this share of projects only re-score candidates
_AA_HH = re.compile(r"\ba\.?\s?a\.?\s?h\.?\s?h\b\.?")
_PP_JJ = re.compile(r"\bp\.?\s?p\.?\s?j\.?\s?j\b\.?")
_WORD = re.compile(r"[a-z0-9ñ]+")
_VOWELS = frozenset("aeiou")
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


def _stem(word: str) -> str:
    """Fold plural and gender endings ("termales" = "termal", "ecologica" = "ecologico") so either
    form a resident types finds the other; short words are left alone."""
    if len(word) > 5 and word.endswith("es") and word[-3] not in _VOWELS:
        word = word[:-2]
    elif len(word) > 4 and word.endswith("s"):
        word = word[:-1]
    if len(word) > 4 and word[-1] in "ao":
        word = word[:-1]
    return word


def _code_number(code: str) -> int | None:
    m = _CODE.match(code.strip())
    return int(m.group(1)) if m else None


def _grams(word: str) -> set[str]:
    padded = f"^{word}$"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _max_edits(length: int) -> int:
    if length < 3:
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
    fields: tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]  # stem ids: name, districts, description


class ProjectIndex:
    """Words are kept twice: the spellings seen (compared with what residents type) and their stems
    (plural and gender folded), which the postings are kept by."""

    def __init__(self) -> None:
        self._docs: list[_Doc | None] = []
        self._by_code: dict[str, int] = {}
        self._by_number: dict[int, list[str]] = {}
        self._live = 0
        self._stem_ids: dict[str, int] = {}
        self._df: list[int] = []  # per stem: live projects containing it in any field
        self._postings: list[tuple[array, array, array]] = []  # per stem: project ids per field
        self._spellings: list[str] = []
        self._spelling_stem: list[int] = []
        self._spelling_ids: dict[str, int] = {}
        self._deletes: dict[str, array] = {}  # spelling minus one letter -> spellings (one edit)
        self._grams: dict[str, array] = {}  # trigram -> spellings (two or more edits)
        self._sorted: list[str] | None = None  # spellings in order, for words typed half-way

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
        name_words = search_tokens(name)
        fields = (
            self._ids(name_words),
            self._ids([w for d in districts for w in search_tokens(d)]),
            self._ids(search_tokens(description)),
        )
        doc_id = len(self._docs)
        doc = _Doc(code, " ".join(name_words), fields)
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
        for stem in set().union(*doc.fields):
            self._df[stem] -= 1
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
        for word in words:
            sid = self._spelling_stem[self._spelling_ids[word]] if word in self._spelling_ids else None
            if sid is None:
                stem = _stem(word)
                sid = self._stem_ids.get(stem)
                if sid is None:
                    sid = len(self._df)
                    self._stem_ids[stem] = sid
                    self._df.append(0)
                    self._postings.append((array("i"), array("i"), array("i")))
                self._add_spelling(word, sid)
            out[sid] = None
        return tuple(out)

    def _add_spelling(self, word: str, sid: int) -> None:
        wid = len(self._spellings)
        self._spellings.append(word)
        self._spelling_stem.append(sid)
        self._spelling_ids[word] = wid
        if len(word) >= 3 and not word.isdigit():
            for key in _deletes(word):
                self._deletes.setdefault(key, array("i")).append(wid)
        if len(word) >= 5:
            for g in _grams(word):
                self._grams.setdefault(g, array("i")).append(wid)
        self._sorted = None

    def _post(self, doc_id: int, doc: _Doc) -> None:
        for field, stems in enumerate(doc.fields):
            for sid in stems:
                self._postings[sid][field].append(doc_id)
        for sid in set().union(*doc.fields):
            self._df[sid] += 1

    def _compact(self) -> None:
        """Drop the tombstones of removed projects from the postings (word ids stay)."""
        docs = [d for d in self._docs if d is not None]
        self._docs = docs
        self._by_code = {d.code: i for i, d in enumerate(docs)}
        self._postings = [(array("i"), array("i"), array("i")) for _ in self._df]
        self._df = [0] * len(self._df)
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
        """Stems a typed word may stand for, with how much each match is worth (at most 1)."""
        df = self._df
        exact = self._stem_ids.get(_stem(token))
        if exact is not None and df[exact] > 0:
            return [(exact, 1.0)]
        found: dict[int, float] = {}  # spelling id -> weight
        n = len(token)
        edits = 0 if token.isdigit() else _max_edits(n)
        spellings, stem_of = self._spellings, self._spelling_stem
        short = 0.15 if n < 4 else 0.0  # a slip in a three-letter word is a weaker clue
        if edits:
            # one edit (a missing, extra, wrong or swapped letter): spellings sharing a one-letter deletion
            keys = _deletes(token)
            keys.add(token)
            for key in keys:
                for wid in self._deletes.get(key, ()):
                    if wid not in found and OSA.distance(token, spellings[wid], score_cutoff=1) <= 1:
                        found[wid] = 0.88 - short - (0.1 if token[0] != spellings[wid][0] else 0.0)
                wid = self._spelling_ids.get(key)
                if wid is not None and wid not in found:
                    found[wid] = 0.88 - short - (0.1 if token[0] != key[0] else 0.0)
        if edits > 1:
            # more edits: spellings sharing enough trigrams, checked with the real distance
            counts: dict[int, int] = {}
            for g in _grams(token):
                for wid in self._grams.get(g, ()):
                    counts[wid] = counts.get(wid, 0) + 1
            need = max(1, n - 3 * edits)
            for wid, shared in counts.items():
                if shared < need or wid in found or abs(len(spellings[wid]) - n) > edits:
                    continue
                dist = OSA.distance(token, spellings[wid], score_cutoff=edits)
                if dist <= edits:
                    found[wid] = 1.0 - 0.12 * dist - (0.1 if token[0] != spellings[wid][0] else 0.0)
        if n >= PREFIX_MIN and not token.isdigit():
            if self._sorted is None:
                self._sorted = sorted(self._spelling_ids)
            vocab = self._sorted
            i = bisect.bisect_left(vocab, token)
            end = min(len(vocab), i + PREFIX_LIMIT)
            while i < end and vocab[i].startswith(token):
                wid = self._spelling_ids[vocab[i]]
                weight = 0.9 - 0.25 * (1 - n / len(vocab[i]))
                if weight > found.get(wid, 0.0):
                    found[wid] = weight
                i += 1
        out: dict[int, float] = {}
        for wid, weight in found.items():
            sid = stem_of[wid]
            if df[sid] > 0 and weight > out.get(sid, 0.0):
                out[sid] = weight
        return sorted(out.items(), key=lambda kv: -kv[1])

    def _best(self, scores: dict[int, float], k: int) -> list[tuple[int, float]]:
        """The k best-scored live projects (removed ones stay in the postings until compaction)."""
        pool = heapq.nlargest(k, scores.items(), key=_second)
        docs = self._docs
        live = [item for item in pool if docs[item[0]] is not None]
        if len(live) < len(pool):
            live = heapq.nlargest(k, ((d, s) for d, s in scores.items() if docs[d] is not None), key=_second)
        return live

    def _idf(self, sid: int) -> float:
        df = self._df[sid]
        return math.log(1.0 + (self._live - df + 0.5) / (df + 0.5))

    def _text_search(self, lowered: str, limit: int) -> list[Hit]:
        tokens = list(dict.fromkeys(search_tokens(lowered)))
        if not tokens:
            return []
        unknown_idf = math.log(1.0 + self._live / 4)  # a word matching nothing still counts against
        weighted: list[tuple[list[tuple[int, float]], int]] = []  # per word: (stem, match × idf), size
        possible = 0.0
        for token in tokens:
            expansions = [(sid, w * self._idf(sid), self._idf(sid)) for sid, w in self._expand(token)]
            if not expansions:
                possible += unknown_idf
                continue
            # what the word would be worth spelt right: a misspelt word makes even the best match score less
            possible += max(expansions, key=lambda e: e[1])[2]
            weighted.append(
                ([(sid, value) for sid, value, _ in expansions], sum(self._df[e[0]] for e in expansions))
            )
        if not weighted:
            return []
        weighted.sort(key=lambda t: t[1])
        common_limit = max(200, int(COMMON_SHARE * self._live))
        scores: dict[int, float] = {}
        deferred: list[list[tuple[int, float]]] = []
        for expansions, size in weighted:
            if scores and size > common_limit:
                deferred.append(expansions)  # a very common word: only re-scores what rarer ones found
                continue
            # every (stem, field) pair best first, so the first value a project gets is its best
            pairs = sorted(
                ((sid, field, value * fw) for sid, value in expansions for field, fw in _FIELDS),
                key=lambda p: -p[2],
            )
            best: dict[int, float] = {}
            for sid, field, value in pairs:
                postings = self._postings[sid][field]
                if len(postings) * 4 < len(best):
                    for d in postings:
                        if d not in best:
                            best[d] = value
                else:  # long lists: let dict do the work in C, keeping the better values already there
                    merged = dict.fromkeys(postings, value)
                    merged.update(best)
                    best = merged
            if not scores:
                scores = best
            else:
                for d, value in best.items():
                    scores[d] = scores.get(d, 0.0) + value
        docs = self._docs
        if deferred:
            scores = dict(self._best(scores, RERANK * 25))
            for expansions in deferred:
                for d in scores:
                    doc = docs[d]
                    if doc is None:
                        continue
                    top = 0.0
                    for sid, value in expansions:
                        for field, fw in _FIELDS:
                            if value * fw > top and sid in doc.fields[field]:
                                top = value * fw
                                break
                    scores[d] += top
        pool = self._best(scores, RERANK + limit)
        query_text = " ".join(tokens)
        hits: list[tuple[float, str]] = []
        for d, s in pool:
            doc = docs[d]
            assert doc is not None
            coverage = min(1.0, s / possible)
            similarity = fuzz.token_set_ratio(query_text, doc.name) if doc.name else 0.0
            score = round(85.0 * coverage + 0.15 * similarity, 1)
            if score >= MIN_SCORE:
                hits.append((score, doc.code))
        hits.sort(key=lambda h: (-h[0], h[1]))
        return [Hit(code, score) for score, code in hits[:limit]]


def _second(item: tuple[int, float]) -> float:
    return item[1]


def from_rows(rows: Iterable[tuple[str, str, str, list[str]]]) -> ProjectIndex:
    """An index of (code, name, description, district names) rows, e.g. straight from the database."""
    index = ProjectIndex()
    for code, name, description, districts in rows:
        index.add(code, name, description, list(districts))
    return index
