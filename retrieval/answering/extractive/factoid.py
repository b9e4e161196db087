"""The candidate short answers of a factoid question in one sentence, and their clues.

Candidates are the spans of the kind the question asks for (:mod:`.kinds`, :mod:`.spans`),
without what the question already names and without the article's dateline; the clues
that :mod:`.candidates` scores are here too: a cue word that introduces such an answer
("di Kairo", "dimediasi oleh Amerika Serikat"), a count of the thing asked ("berapa
pemukiman" → "enam pemukiman"), a known place when a place is asked for and a person's
name when a person is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from retrieval.answering.common.spans import (
    TITLES,
    Span,
    date_spans,
    name_spans,
    number_spans,
    year_spans,
)
from retrieval.answering.common.when import Day
from retrieval.answering.extractive.kinds import Kind
from retrieval.answering.extractive.measures import is_measure, measure_of
from retrieval.search import Query
from retrieval.text.lexicon import Lexicon
from retrieval.text.places import is_major_place, is_place
from retrieval.text.terms import STOPWORDS, terms

__all__ = ["CLASSIFIERS", "ArticleNames", "Context", "candidate_spans", "counted", "counts",
           "cued", "kind_fits", "wants_person"]

_WORD = re.compile(r"\w+")
_ASIDE_NUMBER = re.compile(r"(?<=\()\d{1,3}(?=\))")
# Words right before a candidate that say it is the answer asked for.
_CUES: dict[str, frozenset[str]] = {
    "place": frozenset("di ke dari in at to from near dekat menuju".split()),
    "who": frozenset("oleh by dengan with antara between kepada to bagi".split()),
    # A deadline or a start: "hingga akhir tahun ini", "sejak pertengahan November".
    "date": frozenset("hingga sampai until by sebelum before menjelang sejak since mulai "
                      "bermula".split()),
    "name": frozenset("oleh by dengan with bagi adalah yaitu yakni ialah called named "
                      "disebut bernama dari from".split()),
}
_COUNTED = re.compile(r"(?<!tanggal )(?<!tahun )(?<!pukul )(?<!jam )\b(?:berapa(?:kah)?|how many|"
                      r"how much)\s+((?:\w+ ){0,2}\w+)")
# Units that only classify what is counted (people, things, animals): the noun counted is
# then the subject before the number, within this many characters.
CLASSIFIERS = frozenset("orang jiwa people persons buah unit ekor".split())
_SUBJECT_CHARS = 80
# Words after "berapa" that ask for a measure, not for a count of things.
_ATTRIBUTES = frozenset("""
    jumlah total banyak lama populasi penduduk number population age usia umur tingkat persen
    percent luas bobot berat temperatur suhu tinggi ketinggian nilai waktu angka rata kira
    kapasitas harga biaya jarak panjang kecepatan besar dana anggaran kerugian sumbangan
    jenis macam kali area size weight height temperature value time amount rate capacity
    price cost distance length speed
""".split())
# A question for the person holding a role ("the name of the Mossad chief", "siapa presiden
# Prancis"): a country or a city does not answer it. ("Who led the talks" may be answered
# by countries.)
_ROLE = r"(?:chief|head|leader|director|spokes(?:man|woman|person)|commander|chairman|" \
        r"envoy|ambassador|utusan|duta besar|dubes|" \
        r"chairwoman|minister|president|ceo|kepala|ketua|pemimpin|direktur|juru bicara|" \
        r"komandan|panglima|menteri|presiden)"
_PERSON_ROLE = re.compile(
    rf"\b(?:(?:what is|what was|apa|siapa) (?:the )?(?:name|nama)\b.*\b{_ROLE}|"
    rf"(?:who|siapa)(?:kah)? (?:(?:is|was|are|were|adalah|ialah|yang menjadi) )?(?:the )?"
    rf"(?:current )?(?:[\w'’]+ ){{0,2}}{_ROLE})\b")
_DEFINITION = re.compile(r"\b(?:apa itu|apakah itu|what is an?|what are|who is|siapa itu)\b")


@dataclass(frozen=True)
class ArticleNames:
    """:class:`~retrieval.answering.common.spans.Names` for one article: the lexicon's words and
    places, and the words the article writes capitalised in mid-sentence."""

    lexicon: Lexicon
    capitalised: frozenset[str]

    @classmethod
    def of(cls, lexicon: Lexicon, text: str) -> ArticleNames:
        """Names of the article with ``text``."""
        mid = re.findall(r"(?<=[a-z0-9,;:] )[A-Z][\w-]+", text)
        return cls(lexicon, frozenset(w.casefold() for w in mid))

    def knows(self, word: str) -> bool:
        """An ordinary word of either language."""
        return self.lexicon.knows(word)

    def is_alias(self, phrase: str) -> bool:
        """A known name."""
        return self.lexicon.is_alias(phrase)

    def capitalised_elsewhere(self, word: str) -> bool:
        """Written capitalised in mid-sentence somewhere in the article."""
        return word in self.capitalised


@dataclass(frozen=True)
class Context:
    """The article around a sentence: its names, its day, where its dateline ends."""

    names: ArticleNames
    published: Day | None
    lang: str
    dateline_end: int = 0  # in the sentence: candidates before this offset are the dateline
    #: The sentence's similarity in meaning to the question, less the model's floor
    #: (``None`` for a model without a calibrated floor).
    similarity: float | None = None


def candidate_spans(kind: Kind, query: Query, sentence: str, context: Context
                    ) -> list[tuple[Span, bool]]:
    """The spans of ``kind`` in ``sentence`` that may answer ``query``, each with whether
    part of it was dropped as already named by the question. Not candidates: the dateline,
    what the question names, a non-person for a question about an office holder, a number
    that is part of a date ("12 Desember"), a count of another thing than the one asked."""
    strict = bool(_DEFINITION.search(query.text.casefold()))
    wanted = counted(query)
    person = kind in ("who", "name") and wants_person(query)
    dates = date_spans(sentence, context.published) if kind == "number" else []
    out = []
    for span in _candidates(kind, sentence, context):
        if span.start < context.dateline_end:
            continue
        found = _without_asked(query, span, context.lang, strict)
        if found is None:
            continue
        if person and not all(_may_be_person(p, context.names) for p in found.parts):
            continue
        if kind == "number" and any(d.start < span.end and span.start < d.end
                                    for d in dates):
            continue  # a day of a date, not a count
        if kind == "number" and wanted and measure_of(found) != "percent" \
                and not counts(sentence, found, wanted, context.lang):
            # A count of something else ("1.400 orang" for "how many soldiers"); a share
            # counts no thing ("berapa inflasi": "2,19 persen"), the measure check reads it.
            continue
        out.append((found, found is not span))
    return out


def _candidates(kind: Kind, sentence: str, context: Context) -> list[Span]:
    if kind == "number":
        # A bare number in parentheses after a name is an age or a count ("Richard R
        # Schrock (60)"), not part of a date as other parenthesised numbers are.
        return number_spans(sentence, context.lang) + [
            Span(m.start(), m.end(), m.group(0), (m.group(0),), "number", value=float(m.group(0)))
            for m in _ASIDE_NUMBER.finditer(sentence)]
    if kind == "date":
        # A "when" a sentence answers with a year alone ("ditandatangani tahun 1987").
        return date_spans(sentence, context.published) or year_spans(sentence)
    if kind == "year":
        return year_spans(sentence) or [
            Span(s.start, s.end, str(s.day.year), (str(s.day.year),), "year")
            for s in date_spans(sentence, context.published)
            if s.day is not None and s.day.year is not None]
    return name_spans(sentence, context.names)


def _without_asked(query: Query, span: Span, lang: str, strict: bool) -> Span | None:
    """The candidate without the parts the question already names (None if nothing is
    left). For "apa itu X" only X itself counts as named: its aliases are the answer."""
    def asked(part: str) -> bool:
        if span.kind == "date":  # its words are not concepts ("akhir tahun" ≠ "selesai")
            return part.casefold() in query.text.casefold()
        if strict:
            return any(part.casefold() == c.word for c in query.concepts)
        # Every word of it named by the question: "Pulau Makassar" answers "di pulau
        # manakah" and "Partai Wafd" answers "partai apakah".
        words = [set(terms(w, lang)) | set(terms(w, "en")) for w in part.split()]
        words = [w for w in words if w]
        return bool(words) and all(any(c.found_in(w) for c in query.concepts) for w in words)

    kept = tuple(p for p in span.parts if not asked(p))
    if len(kept) == len(span.parts):
        return _without_asked_head(span, asked, query) if span.kind == "name" else span
    if not kept or span.kind not in ("list", "name"):
        return None
    text = kept[0] if len(kept) == 1 else span.text
    return replace(span, parts=kept, text=text, kind="name" if len(kept) == 1 else "list")


def _without_asked_head(span: Span, asked: Callable[[str], bool], query: Query) -> Span:
    """A name without the leading words the question names when they hold one of its names:
    "PT TPPI Bambang Aji" answers "Siapa direktur PT TPPI?" as "Bambang Aji" (the body the
    question names, then its officer's name, written as one run of capitals). A category
    word alone stays: "Partai Buruh" answers "partai apa"."""
    words = list(_WORD.finditer(span.text))
    k = 0
    # Words without content ("PT") go with the named words around them.
    while k < len(words) - 1 and (asked(words[k].group(0)) or not terms(words[k].group(0), "id")):
        k += 1
    named = {c.word for c in query.concepts if c.name}
    if k == 0 or not words[k].group(0)[:1].isupper() or not any(
            w.group(0).casefold() in named for w in words[:k]):
        return span
    cut = words[k].start()
    return replace(span, start=span.start + cut, text=span.text[cut:], parts=(span.text[cut:],))


def counted(query: Query) -> set[str]:
    """The stems of the noun a "how many" question counts ("berapa *pemukiman*", "how many
    Israeli *soldiers*"); empty when it names none (names and attribute words are skipped:
    "how many Syrians", "berapa total populasi")."""
    m = _COUNTED.search(" ".join(query.text.casefold().split()))
    if m is None:
        return set()
    for word in m.group(1).split():
        if word in STOPWORDS or word in _ATTRIBUTES or is_measure(word):
            return set()
        concept = next((c for c in query.concepts if c.word == word), None)
        if concept is not None and not concept.name:
            return set(concept.stems)
    return set()


def cued(kind: Kind, sentence: str, span: Span, names: ArticleNames) -> bool:
    """Whether a cue word of ``kind`` stands right before ``span`` ("di", "oleh")."""
    # The cue may stand before the title that was stripped off the name ("dengan Presiden
    # Rusia Vladimir Putin").
    before = _WORD.findall(sentence[max(0, span.start - 60):span.start].casefold())[-4:]
    cues = _CUES.get(kind, frozenset())
    for word in reversed(before):
        if word in cues:
            return True
        if word not in TITLES and not word[:1].isdigit() and not is_place(word) \
                and not names.is_alias(word):
            return False
    return False


def wants_person(query: Query) -> bool:
    """Whether the question asks for the person holding a role."""
    return bool(_PERSON_ROLE.search(" ".join(query.text.casefold().split())))


def _may_be_person(name: str, names: ArticleNames) -> bool:
    """A name that is not a place, a known alias (country, body) or an ordinary word."""
    return not _placelike(name, names) \
        and not all(names.knows(w.casefold()) for w in name.split())


def _person_like(name: str, names: ArticleNames) -> bool:
    """A person's name: two or more words, none of them an ordinary word, the whole no
    place."""
    words = name.split()
    return len(words) >= 2 and not _placelike(name, names) \
        and not any(names.knows(w.casefold()) for w in words)


def _placelike(name: str, names: ArticleNames) -> bool:
    """Whether ``name`` names a place or a body rather than a person. Within a longer name
    only a country, a large city or a known body's acronym counts ("Dewan Keamanan PBB"):
    many given and family names are also some small town's ("Bambang Susantono", "Percival
    James Patterson") or a known spelling of another name ("Mohammad")."""
    words = name.split()
    if names.is_alias(name) or is_place(name):
        return True
    return any(is_major_place(w) or (w.isupper() and names.is_alias(w)) for w in words) \
        or all(names.is_alias(w) or is_place(w) for w in words)


def kind_fits(kind: Kind, span: Span, names: ArticleNames, person: bool) -> bool:
    """Whether ``span`` is of the sort asked: known places for "where", a person's name
    for "who" (or for a question about an office holder)."""
    if kind == "place":
        return all(is_place(p) or names.is_alias(p) for p in span.parts)
    if kind == "who" or person:
        return all(_person_like(p, names) for p in span.parts)
    return False


def counts(sentence: str, span: Span, counted: set[str], lang: str) -> bool:
    """Whether the number counts the noun asked about: within the next few words, or, when
    its unit only classifies ("8 orang", "9 people"), as the subject of its clause ("korban
    meninggal dunia kini berjumlah 8 orang": the noun shortly before, no other number or
    clause break or number of its own between)."""
    after = _WORD.findall(sentence[span.start:span.end + 40])[:6]
    if any(t in counted for w in after for t in terms(w, lang)[:1]):
        return True
    if span.unit.casefold() not in CLASSIFIERS:
        return False
    # Commas stay inside: a place in apposition ("di Kecamatan Cibaru, Kabupaten Sukamaju,
    # bertambah menjadi enam orang") does not end the clause.
    clause = re.split(r"[;:()]", sentence[max(0, span.start - _SUBJECT_CHARS):span.start])[-1]
    if number_spans(clause, lang):
        return False  # "Enam pemukiman ... 25 ribu orang": the noun has its own number
    return any(t in counted for w in _WORD.findall(clause) for t in terms(w, lang)[:1])

