"""Numbers as each language writes them: digits with separators, and number words.

Indonesian groups thousands with "." and marks decimals with "," ("1.400 orang", "2,5 juta");
English does the opposite ("1,400 people", "2.5 million"). Most forms say by themselves which
convention they follow: two kinds of separator ("1.162,5"), one separator repeated
("1.250.000"), or one followed by other than three digits ("2,5", "49,55") — that last one is a
decimal point in either language.

The ambiguous form is one separator with one to three digits before it (no leading 0) and
exactly three after: "1,250", "7.500". It groups thousands, unless the separator is the decimal
mark of the phrase's language *and* a scale word or a unit of measure follows ("889,351 juta",
"1,508 poin", "1.125 million"). Why, from the data: in the five seed articles and the 1,313
FacQA passages (Indonesian news), every "." followed by three digits (241 of them) groups
thousands, and the five "," followed by three digits are all decimals followed by a scale
word or a measure ("889,351 juta saham", "Rp 735,774 miliar", "1,508 poin"); a count of
things ("1,250 penumpang") is never a fraction. The phrase's language is that of its own scale
or percent word when it has one ("juta", "million", "persen"), else the article's; with
neither known the form groups thousands.

Number words of both languages are read as well: "seribu empat ratus", "dua puluh lima",
"tiga belas", "one thousand four hundred", "twenty-five", "a dozen", "dua juta".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SCALES", "Reading", "Spelled", "read_digits", "scale_language",
           "spelled_numbers", "write_number"]

#: Scale words and what they multiply by.
SCALES = {"ribu": 1_000, "juta": 1_000_000, "miliar": 1_000_000_000,
          "milyar": 1_000_000_000, "triliun": 1_000_000_000_000, "thousand": 1_000,
          "million": 1_000_000, "billion": 1_000_000_000, "trillion": 1_000_000_000_000}
_ENGLISH_SCALES = frozenset({"thousand", "million", "billion", "trillion"})
# Words after a number that say which language the phrase is written in.
_PHRASE_LANGUAGE = {**{w: "en" if w in _ENGLISH_SCALES else "id" for w in SCALES},
                    "persen": "id", "percent": "en"}
# Units of measure: amounts that may carry decimals, unlike counts of things.
_MEASURES = frozenset("""
    % persen percent km kilometer kilometre kilometers kilometres meter metre meters metres
    cm mm mil mile miles kg kilogram kilograms gram grams ton tons tonne tonnes liter litre
    liters litres kiloliter barel barrel barrels hektar hectare hectares ha detik second
    seconds poin point points derajat degree degrees mw megawatt megawatts gw kwh
""".split())
_DECIMAL_MARK = {"id": ",", "en": "."}


@dataclass(frozen=True)
class Reading:
    """A number written in digits, read.

    Attributes:
        value: What it means (before any scale word).
        written: ``"id"`` or ``"en"``: whose convention its separators follow ("" for none).
    """

    value: float
    written: str


def read_digits(raw: str, lang: str | None = None, next_word: str = "") -> Reading | None:
    """The value of digits with "." and "," separators (None when they make no number:
    "1.2.3").

    Args:
        raw: The digits and separators ("7,500", "1.400", "2,5").
        lang: The language of the text they are in ("id", "en"), if known.
        next_word: The word after the number ("juta", "km", "orang"), which may tell the
            phrase's language and whether a decimal is plausible.
    """
    groups = re.split(r"[.,]", raw)
    seps = re.findall(r"[.,]", raw)
    if not seps:
        return Reading(float(raw), "")
    if len(set(seps)) == 2:  # "1.162,5", "1,162.5": the last one is the decimal point
        mark = seps[-1]
        if seps.count(mark) != 1 or not _grouped(groups[:-1]):
            return None
        return Reading(float("".join(groups[:-1]) + "." + groups[-1]),
                       "id" if mark == "," else "en")
    sep = seps[0]
    if len(seps) > 1:  # "1.250.000": thousands only
        return Reading(float("".join(groups)), _grouping(sep)) if _grouped(groups) else None
    head, tail = groups
    if not _grouped(groups):  # "2,5", "49,55", "0,125", "1234,5": a decimal point
        return Reading(float(f"{head}.{tail}"), "id" if sep == "," else "en")
    word = next_word.casefold()
    phrase = _PHRASE_LANGUAGE.get(word) or lang
    if phrase in _DECIMAL_MARK and sep == _DECIMAL_MARK[phrase] and (
            word in SCALES or word in _MEASURES):
        return Reading(float(f"{head}.{tail}"), phrase)
    return Reading(float(head + tail), _grouping(sep))


def _grouped(groups: list[str]) -> bool:
    """Whether digit groups are thousands groups: 1-3 digits first (no leading 0), then
    three each."""
    first = groups[0]
    return 1 <= len(first) <= 3 and not (first.startswith("0") and len(groups) > 1) \
        and all(len(g) == 3 for g in groups[1:])


def _grouping(sep: str) -> str:
    return "id" if sep == "." else "en"


def scale_language(word: str) -> str:
    """``"id"`` or ``"en"`` for a scale or percent word, else ""."""
    return _PHRASE_LANGUAGE.get(word.casefold(), "")


def write_number(value: float, lang: str) -> str:
    """``value`` written the way ``lang`` writes it (1400 → "1,400" or "1.400"; 2.5 →
    "2.5" or "2,5")."""
    value = round(float(value), 6)
    text = f"{int(value):,}" if value.is_integer() else f"{value:,.6f}".rstrip("0").rstrip(".")
    return text if lang == "en" else text.translate(str.maketrans(",.", ".,"))


# Number words ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Spelled:
    """A number written in words.

    Attributes:
        start: Offset of its first word in the text.
        end: Offset after its last word.
        value: Its value, without ``scale`` when that is split off.
        scale: A trailing scale word of a single group ("dua *juta*": value 2), else "".
        lang: The language of its words.
    """

    start: int
    end: int
    value: int
    scale: str
    lang: str


# Each word: (its role, its value, its language). Roles: "unit" 1-9 (may be multiplied),
# "teen" a whole value below 20, "tens" twenty..ninety, "belas"/"puluh"/"ratus" Indonesian
# multipliers, "hundred", "seratus" 100, "scale", "se-scale" (seribu, sejuta), "dozen", and
# the English glue words "a" and "and".
_WORDS: dict[str, tuple[str, int, str]] = {
    **{w: ("unit", i, "id") for i, w in enumerate(
        "satu dua tiga empat lima enam tujuh delapan sembilan".split(), 1)},
    "sepuluh": ("teen", 10, "id"), "sebelas": ("teen", 11, "id"),
    "belas": ("belas", 10, "id"), "puluh": ("puluh", 10, "id"), "ratus": ("hundred", 100, "id"),
    "seratus": ("seratus", 100, "id"), "seribu": ("se-scale", 1_000, "id"),
    "sejuta": ("se-scale", 1_000_000, "id"), "semiliar": ("se-scale", 1_000_000_000, "id"),
    **{w: ("scale", v, "en" if w in _ENGLISH_SCALES else "id") for w, v in SCALES.items()},
    **{w: ("unit", i, "en") for i, w in enumerate(
        "one two three four five six seven eight nine".split(), 1)},
    **{w: ("teen", i, "en") for i, w in enumerate(
        "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen"
        .split(), 10)},
    **{w: ("tens", i * 10, "en") for i, w in enumerate(
        "twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)},
    "hundred": ("hundred", 100, "en"), "dozen": ("dozen", 12, "en"),
    "a": ("a", 1, "en"), "and": ("and", 0, "en"),
}
_WORD = re.compile(r"[^\W\d_]+")
_GAP = re.compile(r"\s+|\s*-\s*")  # between the words of one number ("twenty-five")


class _Count:
    """The running value of number words read left to right (internal, mutable)."""

    def __init__(self) -> None:
        self.total = 0  # finished groups times their scale
        self.group = 0  # below a thousand, in progress
        self.unit: int | None = None  # a 1-9 waiting for a multiplier or the end
        self.place = 1000  # the smallest place the group has filled (1000: none yet)
        self.last_scale = 10 ** 15
        self.scales = 0
        self.first_scale = (0, "")  # the group and word of the first scale met
        self.open = False  # after "a" or "and": the number is not finished
        self.role = ""

    def value(self) -> int:
        return self.total + self.group + (self.unit or 0)

    def take(self, role: str, value: int, word: str) -> bool:
        """Add one word; False when it cannot continue this number."""
        if (self.role == "a" and role not in ("hundred", "scale", "dozen")) \
                or (role == "a" and self.role) \
                or (role == "and" and self.role not in ("hundred", "scale")) \
                or (self.role == "and" and role not in ("unit", "teen", "tens")):
            return False
        ok = self._take(role, value, word)
        if ok:
            self.open, self.role = role in ("a", "and"), role
        return ok

    def _take(self, role: str, value: int, word: str) -> bool:
        pending = self.unit
        if role in ("unit", "a"):
            if pending is not None or self.place <= 1:
                return False
            self.unit = value
        elif role in ("teen", "tens"):
            if pending is not None or self.place <= 10:
                return False
            self.group, self.place = self.group + value, 1 if role == "teen" else 10
        elif role in ("belas", "puluh"):
            if pending is None or self.place <= 10:
                return False
            self.group += pending + 10 if role == "belas" else pending * 10
            self.unit, self.place = None, 1 if role == "belas" else 10
        elif role == "seratus":
            if pending is not None or self.place <= 100:
                return False
            self.group, self.place = self.group + 100, 100
        elif role == "hundred":  # "dua ratus", "two hundred", "twenty-five hundred"
            count = self.group + (pending or 0)
            if not count or self.group >= 100:
                return False
            self.group, self.unit, self.place = count * 100, None, 100
        elif role == "dozen":
            if pending is None or self.group:
                return False
            self.group, self.unit, self.place = pending * 12, None, 1
        elif role in ("scale", "se-scale"):
            return self._scale(role, value, word)
        return True

    def _scale(self, role: str, value: int, word: str) -> bool:
        count = self.group + (self.unit or 0)
        if role == "se-scale":
            count = 0 if count else 1
        if not count or value >= self.last_scale:
            return False
        if not self.scales:
            self.first_scale = (count, word if role == "scale" else "")
        self.total += count * value
        self.group, self.unit, self.place, self.last_scale = 0, None, 1000, value
        self.scales += 1
        return True


def spelled_numbers(text: str) -> list[Spelled]:
    """The numbers written in words in ``text``, longest first reading, left to right."""
    words = list(_WORD.finditer(text))
    out: list[Spelled] = []
    i = 0
    while i < len(words):
        found = _number_at(text, words, i)
        if found is None:
            i += 1
            continue
        spelled, i = found
        out.append(spelled)
    return out


def _number_at(text: str, words: list[re.Match[str]], i: int) -> tuple[Spelled, int] | None:
    """The longest number in words starting at word ``i``, and the index after it."""
    count, lang = _Count(), ""
    best: tuple[Spelled, int] | None = None
    for j in range(i, len(words)):
        if j > i and not _GAP.fullmatch(text[words[j - 1].end():words[j].start()]):
            break
        word = words[j].group(0).casefold()
        entry = _WORDS.get(word)
        # Scale words are borrowed across languages ("enam billion" in Indonesian news).
        if entry is None or (lang and entry[2] != lang and entry[0] != "scale") \
                or not count.take(*entry[:2], word):
            break
        lang = lang or entry[2]
        if not count.open and count.value():
            split = count.scales == 1 and count.role == "scale"
            value, scale = count.first_scale if split else (count.value(), "")
            best = (Spelled(words[i].start(), words[j].end(), value, scale, lang), j + 1)
    return best
