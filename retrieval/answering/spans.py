"""Candidate short answers in a sentence: names, lists of names, numbers, dates and years.

Names are runs of capitalised words (with the particles names carry: "al-", "bin", "de"),
without the titles that precede them in Indonesian news ("Menteri Luar Negeri Rusia Sergey
Lavrov" is Sergey Lavrov). Names joined by commas and "dan"/"and" form a list, answered as a
whole ("Qatar, Mesir dan Amerika Serikat"). Numbers keep their scale word and unit ("lebih
dari 1.400 orang"); dates come from :mod:`.when`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from retrieval.answering.when import Day, find_when
from retrieval.search.terms import STOPWORDS

__all__ = ["TITLES", "Names", "Span", "date_spans", "name_spans", "number_spans", "number_values",
           "year_spans"]

_TOKEN = re.compile(r"\w[\w’'-]*(?:\.\w+)*", re.UNICODE)
# Lowercase particles inside a name ("Bashar al-Assad" is caught by the hyphen already).
_PARTICLES = frozenset("al el bin binti de da van von der den du la le ibn abu".split())
# Words that introduce a name in Indonesian and English news; they are not part of it.
TITLES = frozenset("""
    menteri luar negeri dalam pertahanan keuangan presiden perdana wakil kepala ketua direktur
    juru bicara jenderal jendral mayjen letjen brigjen kolonel sekretaris sekjen gubernur bupati
    walikota wali kota raja ratu pangeran syekh sheikh imam dr prof ir pemimpin panglima duta
    besar dubes komandan kapolri kapolda jaksa hakim senator anggota pejabat utusan khusus
    tv televisi kantor berita harian surat kabar minister foreign prime president vice head
    chief general spokesman spokesperson secretary governor mayor king queen prince
    ambassador envoy special commander senator official leader mr mrs ms sir the
    pada sejak setelah sebelum namun tetapi menurut dalam saat ketika bahwa para seorang
    letnan laksamana marsekal kapten mayor suku pejuang kelompok milisi faksi gerakan warga
    tribe fighters group militia faction movement
""".split())
# Descriptors that may stand between the names of a list ("suku Badui dan pejuang Druze").
_DESCRIPTORS = frozenset("suku pejuang kelompok milisi faksi gerakan warga pasukan tentara "
                         "tribe fighters group militia faction forces troops".split())
_CALENDAR = frozenset("""
    januari februari maret april mei juni juli agustus september oktober november desember
    january february march may june july august october december senin selasa rabu kamis
    jumat sabtu minggu monday tuesday wednesday thursday friday saturday sunday
""".split())
_CONNECTORS = re.compile(rf"^\s*(?:,|,?\s*(?:dan|and|serta|&)(?:\s+(?:{'|'.join(_DESCRIPTORS)}))?)"
                         r"\s*$", re.I)
_SCALE = {"ribu": 1_000, "juta": 1_000_000, "miliar": 1_000_000_000, "milyar": 1_000_000_000,
          "triliun": 1_000_000_000_000, "thousand": 1_000, "million": 1_000_000,
          "billion": 1_000_000_000}
_QUALIFIER = r"(?:lebih dari|kurang dari|sedikitnya|setidaknya|sekitar|hampir|sebanyak|" \
             r"mencapai|more than|less than|at least|about|around|nearly|almost|over)"
_NUMBER = re.compile(rf"(?:(?P<qual>{_QUALIFIER})\s+)?(?P<num>\d+(?:[.,]\d+)*)"
                     rf"(?:\s+(?P<scale>{'|'.join(_SCALE)}))?"
                     r"(?:\s+(?P<unit>[^\W\d_][\w-]*))?", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_ONES = {"satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
         "delapan": 8, "sembilan": 9, "sepuluh": 10, "sebelas": 11, "seratus": 100,
         "seribu": 1000, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
         "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_TENS = {"belas": 10, "puluh": 10, "ratus": 100}
_NUMBER_WORDS = re.compile(
    rf"\b(?:(?P<qual>{_QUALIFIER})\s+)?(?P<num>(?:{'|'.join(_ONES)})(?:\s+(?:belas|puluh|ratus))?)"
    rf"(?:\s+(?P<scale>{'|'.join(_SCALE)}))?(?:\s+(?P<unit>[^\W\d_][\w-]*))?\b", re.I)


def _word_value(words: str) -> int | None:
    parts = words.casefold().split()
    value = _ONES.get(parts[0])
    if value is None:
        return None
    if len(parts) > 1:
        value = value + 10 if parts[1] == "belas" else value * _TENS[parts[1]]
    return value


class Names(Protocol):
    """What name finding asks of the lexicon and the article."""

    def knows(self, word: str) -> bool:
        """Whether a lowercase word is an ordinary word of either language."""
        ...

    def capitalised_elsewhere(self, word: str) -> bool:
        """Whether the article writes this lowercase word capitalised elsewhere (a name)."""
        ...

    def is_alias(self, phrase: str) -> bool:
        """Whether a phrase is a known name (a country, a city, a body)."""
        ...


@dataclass(frozen=True)
class Span:
    """A candidate answer: where it is in the sentence, its text and its parts.

    Attributes:
        start: Offset of the first character in the sentence.
        end: Offset after the last one.
        text: The sentence's text there.
        parts: The names of a list, the number of a count (else the text alone).
        kind: ``"name"``, ``"list"``, ``"number"``, ``"date"`` or ``"year"``.
        day: The resolved day of a date.
        unit: The unit word of a number ("orang").
        scale: The scale word of a number ("ribu").
        qualifier: "lebih dari", "at least"... of a number.
    """

    start: int
    end: int
    text: str
    parts: tuple[str, ...]
    kind: str
    day: Day | None = None
    unit: str = ""
    scale: str = ""
    qualifier: str = ""


def name_spans(sentence: str, names: Names) -> list[Span]:
    """Names in ``sentence`` (titles stripped), lists of names merged into one span too.

    Args:
        sentence: The text.
        names: Tells ordinary words (a name scraped in lowercase, "Vladimir putin", is not
            one) and known names (a country before a person's name is a title: "Rusia
            Sergey Lavrov").
    """
    tokens = list(_TOKEN.finditer(sentence))
    found: list[Span] = []
    i = 0
    while i < len(tokens):
        j = i
        while j < len(tokens) and _in_name(tokens, j, i, names) and (
                j == i or sentence[tokens[j - 1].end():tokens[j].start()].isspace()):
            j += 1
        if j > i:
            for run in _split_at_places(tokens[i:j], names):
                found.extend(_trimmed(sentence, run, names))
            i = j
        else:
            i += 1
    return found + _lists(sentence, found)


def _in_name(tokens: list[re.Match[str]], j: int, first: int, names: Names) -> bool:
    word = tokens[j].group(0).strip(".")
    if not word:
        return False
    if word[0].isupper():
        return True
    if j == first:
        return False
    particle = word.casefold() in _PARTICLES and j + 1 < len(tokens) \
        and tokens[j + 1].group(0)[:1].isupper()
    # A surname scraped in lowercase, right after a capitalised word ("Vladimir putin"),
    # which the article writes capitalised elsewhere ("dengan Putin").
    lowercase_surname = tokens[j - 1].group(0)[:1].isupper() and word.isalpha() \
        and word not in STOPWORDS and names.capitalised_elsewhere(word)
    return particle or lowercase_surname


def _split_at_places(run: list[re.Match[str]], names: Names) -> list[list[re.Match[str]]]:
    """Split "Kementerian Pertahanan Rusia Mayjen Igor Konashenkov" after the place inside it:
    what follows a country or city in mid-run is another name (here a person's)."""
    for k in range(1, len(run) - 1):
        if names.is_alias(run[k].group(0)) and not names.is_alias(
                f"{run[k].group(0)} {run[k + 1].group(0)}"):
            rest = _split_at_places(run[k + 1:], names)
            if all(t.group(0).strip(".").casefold() in TITLES for t in run[:k]):
                return rest  # "Presiden Rusia" is a title before the name, not a name
            return [run[:k + 1], *rest]
    return [run]


def _trimmed(sentence: str, run: list[re.Match[str]], names: Names) -> list[Span]:
    """A run of capitalised tokens without its leading titles and trailing particles."""
    while run and run[0].group(0).strip(".").casefold() in TITLES:
        run = run[1:]
    # A country or city before a person's name is part of the title ("AS John Kerry").
    while len(run) > 1 and names.is_alias(run[0].group(0)) \
            and not names.is_alias(f"{run[0].group(0)} {run[1].group(0)}") \
            and not names.is_alias(run[1].group(0)):
        run = run[1:]
    while run and run[-1].group(0).casefold() in _PARTICLES:
        run = run[:-1]
    if not run or (len(run) == 1 and _ordinary(run[0].group(0), names)):
        return []
    start, end = run[0].start(), run[-1].end()
    text = sentence[start:end].rstrip(".,")
    return [Span(start, start + len(text), text, (text,), "name")] if text else []


def _ordinary(word: str, names: Names) -> bool:
    """A capitalised word that is no name: a month, a weekday, or an ordinary word that is
    only capitalised because it opens a sentence ("Lebih dari ...", "Anda ...")."""
    lowered = word.casefold()
    return lowered in _CALENDAR or (names.knows(lowered) and not word.isupper()
                                    and not names.is_alias(word)
                                    and not names.capitalised_elsewhere(lowered))


def _lists(sentence: str, names: list[Span]) -> list[Span]:
    """Runs of two or more names joined by commas and "dan"/"and"."""
    out: list[Span] = []
    i = 0
    while i < len(names):
        j = i
        while j + 1 < len(names) and _CONNECTORS.match(sentence[names[j].end:names[j + 1].start]):
            j += 1
        if j > i:
            group = names[i:j + 1]
            out.append(Span(group[0].start, group[-1].end,
                            sentence[group[0].start:group[-1].end],
                            tuple(n.text for n in group), "list"))
        i = j + 1
    return out


def number_spans(sentence: str) -> list[Span]:
    """Counts and amounts: qualifier, number, scale word and unit ("lebih dari 1.400 orang",
    "enam pemukiman", "satu juta pengungsi")."""
    out = []
    for m in _NUMBER_WORDS.finditer(sentence):
        value = _word_value(m.group("num"))
        if value is not None:
            out.append(Span(m.start(), m.end(), m.group(0), (str(value),), "number",
                            unit=m.group("unit") or "", scale=(m.group("scale") or "").casefold(),
                            qualifier=(m.group("qual") or "").casefold()))
    for m in _NUMBER.finditer(sentence):
        if _YEAR.fullmatch(m.group("num")) and not m.group("unit"):
            continue  # a bare year is not a count
        if m.start("num") > 0 and sentence[m.start("num") - 1] in "/(":
            continue  # part of a date such as (26/7)
        unit = m.group("unit") or ""
        out.append(Span(m.start(), m.end(), m.group(0), (m.group("num"),), "number",
                        unit=unit, scale=(m.group("scale") or "").casefold(),
                        qualifier=(m.group("qual") or "").casefold()))
    return out


def date_spans(sentence: str, published: Day | None) -> list[Span]:
    """Date expressions, resolved against the article's day when possible."""
    return [Span(w.start, w.end, w.text, (w.text,), "date", day=w.day)
            for w in find_when(sentence, published)
            if w.day.month or w.day.weekday is not None or w.day.part]


def year_spans(sentence: str) -> list[Span]:
    """Four-digit years."""
    return [Span(m.start(), m.end(), m.group(0), (m.group(0),), "year")
            for m in _YEAR.finditer(sentence)]


def number_values(text: str) -> list[frozenset[float]]:
    """Every number in ``text`` (digits or number words, with a scale word) as the values it
    may mean in either language's writing: "1.400" and "1,400" are both 1,400 (thousands
    separators) and "2,5 juta" and "2.5 million" both 2,500,000 (decimal separators)."""
    out = []
    for m in _NUMBER.finditer(text):
        scale = _SCALE.get((m.group("scale") or "").casefold(), 1)
        out.append(frozenset(v * scale for v in _readings(m.group("num"))))
    for m in _NUMBER_WORDS.finditer(text):
        value = _word_value(m.group("num"))
        if value is not None:
            out.append(frozenset({float(value) * _SCALE.get(
                (m.group("scale") or "").casefold(), 1)}))
    return out


def _readings(raw: str) -> set[float]:
    """A separator followed by three digits groups thousands ("1.400", "1,400"); with fewer
    or more digits after it, a single separator is a decimal point in either language
    ("2,5", "2.5")."""
    decimal = re.fullmatch(r"(\d+)[.,](\d+)", raw)
    if decimal and len(decimal.group(2)) != 3:
        return {float(f"{decimal.group(1)}.{decimal.group(2)}")}
    return {float(raw.replace(".", "").replace(",", ""))}
