"""Numbers written in words, English and Indonesian: "thirty-one", "two hundred and fifty",
"dua puluh tiga", "seratus lima puluh ribu".

:func:`spelled_numbers` reads runs of number words over a list of lowercased words (as
:mod:`.structure` reads a sentence). Single small words ("one", "satu", "enam") are read too;
"a"/"an" and "se-" stand for one only before a multiplier ("a thousand", "seribu").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Spelled", "spelled_numbers"]

_UNITS = {w: v for v, words in enumerate((
    "zero nol", "one satu", "two dua", "three tiga", "four empat", "five lima", "six enam",
    "seven tujuh", "eight delapan", "nine sembilan", "ten sepuluh", "eleven sebelas",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen")) for w in words.split()}
_TENS = {w: 10 * (i + 2) for i, w in enumerate(
    "twenty thirty forty fifty sixty seventy eighty ninety".split())}
#: Multipliers of the last digit group ("dua *puluh*", "two *hundred*", "tiga *belas*").
_GROUP = {"puluh": 10, "ratus": 100, "hundred": 100}
_SCALES = {"thousand": 1_000, "ribu": 1_000, "million": 1_000_000, "juta": 1_000_000,
           "billion": 1_000_000_000, "miliar": 1_000_000_000, "milyar": 1_000_000_000}
#: "se-" forms of Indonesian ("seratus" is "satu ratus").
_SE = {"seratus": 100, "seribu": 1_000, "sejuta": 1_000_000, "semiliar": 1_000_000_000}


@dataclass(frozen=True)
class Spelled:
    """A number in words: the words ``start``..``end`` (exclusive) and its value."""

    start: int
    end: int
    value: int


def spelled_numbers(words: Sequence[str]) -> list[Spelled]:
    """The numbers written in words among ``words`` (lowercased, in order)."""
    out: list[Spelled] = []
    i = 0
    while i < len(words):
        end, value = _run(words, i)
        if end > i:
            out.append(Spelled(i, end, value))
            i = end
        else:
            i += 1
    return out


def _parts(word: str) -> list[str]:
    return [p for p in word.split("-") if p]


def _known(word: str) -> bool:
    parts = _parts(word)
    return bool(parts) and all(p in _UNITS or p in _TENS or p in _GROUP or p in _SCALES or p in _SE
               or p == "belas" for p in parts)


def _run(words: Sequence[str], i: int) -> tuple[int, int]:
    """The end and value of the number run starting at ``i`` (end == i: none)."""
    total = current = last = 0
    end = i
    j = i
    while j < len(words):
        word = words[j]
        if word in ("a", "an") and j + 1 < len(words) and (
                words[j + 1] in _SCALES or words[j + 1] == "hundred") and j == i:
            current, last, j = 1, 1, j + 1
            continue
        if word in ("and", "dan") and end > i and j + 1 < len(words) and \
                _known(words[j + 1]) and words[j - 1] in ("hundred", "ratus", "seratus"):
            j += 1
            continue
        if not _known(word):
            break
        for part in _parts(word):
            total, current, last = _step(part, total, current, last)
        j += 1
        end = j
    return end, total + current


def _step(part: str, total: int, current: int, last: int) -> tuple[int, int, int]:
    if part in _UNITS or part in _TENS:
        value = _UNITS.get(part, _TENS.get(part, 0))
        return total, current + value, value
    if part == "belas":  # "tiga belas" = 13
        return total, current + 10, last + 10
    if part in _GROUP:
        factor = _GROUP[part]
        grown = (last or 1) * factor
        return total, current - last + grown, grown
    if part in _SE:
        value = _SE[part]
        if value >= 1_000:
            return total + (current or 1) * value, 0, 0
        return total, current + value, value
    scale = _SCALES[part]
    return total + (current or 1) * scale, 0, 0
