"""Candidate short answers in a sentence: names, lists of names, numbers, dates and years.

Names are runs of capitalised words (with the particles names carry: "al-", "bin", "de"),
without the titles that precede them in Indonesian news ("Menteri Luar Negeri Rusia Sergey
Lavrov" is Sergey Lavrov). Names joined by commas and "dan"/"and" form a list, answered as a
whole ("Qatar, Mesir dan Amerika Serikat"). Numbers keep their scale word and unit ("lebih
dari 1.400 orang"), read by the text's conventions (:mod:`.numbers`: "7,500" in English is
7500, "1.400" in Indonesian 1400); dates come from :mod:`.when`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from retrieval.answering.common.numbers import (
    SCALES,
    Reading,
    read_digits,
    scale_language,
    spelled_numbers,
)
from retrieval.answering.common.when import Day, find_when
from retrieval.text.terms import STOPWORDS

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
_QUALIFIER = r"(?:lebih dari|kurang dari|sedikitnya|setidaknya|sekitar|hampir|sebanyak|" \
             r"mencapai|more than|less than|at least|about|around|nearly|almost|over)"
_CURRENCY = r"(?:(?:US|AS|S|A|HK)?\$|Rp\.?|€|£|¥|USD|IDR|EUR)"
_DIGITS = r"\d+(?:[.,]\d+)*"
# Qualifier, currency, number, a range's upper end ("1.000-2.000", "antara 5 dan 10"), and a
# per cent sign or a scale word and a unit.
_NUMBER = re.compile(
    rf"(?:(?:(?P<between>between|antara)|(?P<qual>{_QUALIFIER}))\s+)?(?<![\w.,])"
    rf"(?:(?P<cur>{_CURRENCY})\s?)?(?P<num>{_DIGITS})"
    rf"(?:\s*[-–—]\s*(?:{_CURRENCY}\s?)?(?P<upper>{_DIGITS})"
    rf"|(?(between)\s+(?:and|dan|hingga|sampai|to)\s+(?:{_CURRENCY}\s?)?(?P<upper2>{_DIGITS})))?"
    rf"(?:\s?(?P<pct>%)|(?:\s+(?P<scale>{'|'.join(SCALES)})\b)?"
    r"(?:\s+(?P<unit>[^\W\d_][\w-]*))?)", re.I)
_QUALIFIED = re.compile(rf"(?:\b(?P<qual>{_QUALIFIER})\s+)$", re.I)
_UNIT_AFTER = re.compile(r"\s+(?P<unit>[^\W\d_][\w-]*)")
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


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
        qualifier: "lebih dari", "at least", "antara"... of a number.
        value: What a number means, before its scale word (7,500 in an English text is
            7500.0; "dua juta" is 2.0 with scale "juta").
        upper: The upper end of a range ("1.000-2.000 orang"), else None.
        currency: The currency sign before a number ("Rp", "US$").
        written: Whose conventions a number is written in: "id", "en" or "" (neither shows).
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
    value: float | None = None
    upper: float | None = None
    currency: str = ""
    written: str = ""


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


def number_spans(sentence: str, lang: str | None = None) -> list[Span]:
    """Counts and amounts: qualifier, currency, number, scale word and unit ("lebih dari
    1.400 orang", "$7,500", "enam pemukiman", "satu juta pengungsi", "3,5%").

    Args:
        sentence: The text.
        lang: Its language ("id", "en") when known: it decides how "1,250" and "7.500" are
            read (see :mod:`.numbers`); without it the words around the number decide.
    """
    out = []
    for spelled in spelled_numbers(sentence):
        qual = _QUALIFIED.search(sentence, 0, spelled.start)
        unit = _UNIT_AFTER.match(sentence, spelled.end)
        start = qual.start() if qual else spelled.start
        end = unit.end() if unit else spelled.end
        out.append(Span(start, end, sentence[start:end], (str(spelled.value),), "number",
                        unit=unit.group("unit") if unit else "", scale=spelled.scale.casefold(),
                        qualifier=qual.group("qual").casefold() if qual else "",
                        value=float(spelled.value), written=spelled.lang))
    for m in _NUMBER.finditer(sentence):
        if m.start("num") > 0 and sentence[m.start("num") - 1] in "/(":
            continue  # part of a date such as (26/7)
        reading = _reading(m, lang)
        if reading is None or _is_year(m):
            continue
        upper = _upper(m, lang)
        scale = (m.group("scale") or "").casefold()
        out.append(Span(m.start(), m.end(), m.group(0), (m.group("num"),), "number",
                        unit="%" if m.group("pct") else m.group("unit") or "", scale=scale,
                        qualifier=(m.group("qual") or m.group("between") or "").casefold(),
                        value=reading.value, upper=upper.value if upper else None,
                        currency=sentence[m.start("cur"):m.start("num")] if m.group("cur")
                        else "",
                        written=reading.written or scale_language(scale)))
    return out


def _reading(m: re.Match[str], lang: str | None) -> Reading | None:
    """The number of a match, read by the text's language and the word after it."""
    return read_digits(m.group("num"), lang, _after(m))


def _upper(m: re.Match[str], lang: str | None) -> Reading | None:
    """The upper end of a range match, if it is one."""
    raw = m.group("upper") or m.group("upper2")
    return read_digits(raw, lang, _after(m)) if raw is not None else None


def _after(m: re.Match[str]) -> str:
    """The word after a match's number(s): its scale word, "%" or its unit."""
    return m.group("scale") or ("%" if m.group("pct") else m.group("unit")) or ""


def _is_year(m: re.Match[str]) -> bool:
    """A year ("sejak 2011", "pada 2024 lalu", "2011-2014"), not an amount: four digits
    from 1900 to 2099, with no currency, scale or per cent sign, and no counted word after
    (only a function word, if any)."""
    years = [m.group("num"), *(x for x in (m.group("upper"), m.group("upper2")) if x)]
    unit = (m.group("unit") or "").casefold()
    return all(_YEAR.fullmatch(y) for y in years) and not (
        m.group("cur") or m.group("scale") or m.group("pct")) and (
        not unit or unit in STOPWORDS)


def date_spans(sentence: str, published: Day | None) -> list[Span]:
    """Date expressions, resolved against the article's day when possible."""
    return [Span(w.start, w.end, w.text, (w.text,), "date", day=w.day)
            for w in find_when(sentence, published)
            if w.day.month or w.day.weekday is not None or w.day.part]


def year_spans(sentence: str) -> list[Span]:
    """Four-digit years."""
    return [Span(m.start(), m.end(), m.group(0), (m.group(0),), "year")
            for m in _YEAR.finditer(sentence)]


def number_values(text: str, lang: str | None = None) -> list[frozenset[float]]:
    """Every number in ``text`` (digits or number words, times its scale word), each as the
    set of values it may mean: "1.400" in Indonesian and "1,400" in English are both 1,400,
    "2,5 juta" and "2.5 million" both 2,500,000. A range gives both its ends (the lower one
    with and without the scale word).

    Args:
        text: The text.
        lang: Its language ("id", "en") when known; without it the words around each
            number decide how "1,250" or "7.500" is read (see :mod:`.numbers`).
    """
    out = []
    for m in _NUMBER.finditer(text):
        scale = SCALES.get((m.group("scale") or "").casefold(), 1)
        lower, upper = _reading(m, lang), _upper(m, lang)
        if lower is not None:
            # The scale word of a range belongs to both ends ("4-5 juta"), but the lower
            # end may be quoted alone ("from 4 to 5 million").
            alone = {lower.value} if upper is not None else set()
            out.append(frozenset({round(lower.value * scale, 6)} | alone))
        if upper is not None:
            out.append(frozenset({round(upper.value * scale, 6)}))
    for spelled in spelled_numbers(text):
        out.append(frozenset({float(spelled.value) * SCALES.get(spelled.scale.casefold(), 1)}))
    return out
