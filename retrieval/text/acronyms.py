"""Acronyms the articles expand themselves: "Rumah Sakit Umum Pusat (RSUP)", "PBB
(Perserikatan Bangsa-Bangsa)".

News writes an organisation's full name once with its acronym in brackets, or the other way
round, then uses the short form. :meth:`Acronyms.found_in` reads those pairs from article
texts; a pair is kept only when the acronym's letters are the initials of the long name's
words in order (a word may give its first few letters, "Bangsa-Bangsa" gives two words, and
particles such as "dan", "dari", "untuk", "of" may be skipped). A question naming either
form can then search both, and a check that a question's names are in an answer can accept
either (:meth:`Acronyms.aliases_of`).

Typical use::

    acronyms = Acronyms.found_in(article.text for article in view.articles)
    acronyms.aliases_of("RSUP")  # ["rumah sakit umum pusat"]
    acronyms.aliases_of("Perserikatan Bangsa-Bangsa")  # ["pbb"]
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

__all__ = ["Acronyms"]

# An acronym: a capital, then 1-9 more letters or digits, at least two capitals in all.
_SHORT = r"[A-Z][A-Za-z0-9]{1,9}"
_SHORT_FORM = re.compile(rf"^{_SHORT}$")
# Every bracket; the text around it is read only when the bracket or the word before it
# is an acronym (one pass, no backtracking over the whole text).
_BRACKET = re.compile(r"\(\s*([^()\n]{2,120}?)\s*\)")
_LAST_TOKEN = re.compile(r"(\S+)\s*$")
#: Characters before a bracket read for a long name.
_LOOK_BACK = 200
_WORD = re.compile(r"[^\W\d_]+|\d+")
#: Words a long name may hold without giving a letter of its acronym.
PARTICLES = frozenset({
    "dan", "dari", "untuk", "di", "ke", "yang", "atas", "bagi", "pada", "dengan", "serta",
    "of", "and", "for", "the", "on", "in", "de", "la", "&",
})
#: Words a long name gives at most; longer runs before a bracket are not read as one.
_MAX_WORDS = 12


@lru_cache(maxsize=4096)
def _fits(short: str, words: tuple[str, ...]) -> bool:
    """Whether ``short`` (lowercased) is made of leading letters of ``words`` in order,
    every word but particles giving at least its first letter."""
    if not words:
        return not short
    if not short:
        return all(w in PARTICLES for w in words)
    first, rest = words[0], words[1:]
    if first in PARTICLES and _fits(short, rest):
        return True
    # The word gives its first 1..n letters.
    return any(short[:n] == first[:n] and _fits(short[n:], rest)
               for n in range(1, min(len(first), len(short)) + 1))


def _is_short(token: str) -> bool:
    return bool(_SHORT_FORM.match(token)) and sum(c.isupper() for c in token) >= 2


def _long_form(short: str, before: str) -> str | None:
    """The long name ending ``before`` whose initials make ``short``, shortest first."""
    words = _WORD.findall(before)[-_MAX_WORDS:]
    lowered = tuple(w.casefold() for w in words)
    key = short.casefold()
    for start in range(len(words) - 1, -1, -1):
        if lowered[start] in PARTICLES or lowered[start][0] != key[0]:
            continue
        if len(lowered) - start >= 2 and _fits(key, lowered[start:]):
            return " ".join(lowered[start:])
    return None


def _whole_long_form(short: str, inside: str) -> str | None:
    """The bracketed text as a long name of ``short``, when its initials make it."""
    words = tuple(w.casefold() for w in _WORD.findall(inside))
    if 2 <= len(words) <= _MAX_WORDS and _fits(short.casefold(), words):
        return " ".join(words)
    return None


def _pairs_in(text: str) -> Iterable[tuple[str, str]]:
    """``(acronym, long name)`` pairs of one text, lowercased."""
    for match in _BRACKET.finditer(text):
        inside = match.group(1)
        before = text[max(0, match.start() - _LOOK_BACK):match.start()]
        before = re.split(r"[()\n]", before)[-1]
        if _is_short(inside):  # "Long Name (ACR)"
            found = _long_form(inside, before)
            if found:
                yield inside.casefold(), found
            continue
        last = _LAST_TOKEN.search(before)
        if last and _is_short(last.group(1)):  # "ACR (Long Name)"
            found = _whole_long_form(last.group(1), inside)
            if found:
                yield last.group(1).casefold(), found


@dataclass(frozen=True)
class Acronyms:
    """Acronyms and the long names the articles give them, both ways, lowercased."""

    long_forms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    short_forms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def found_in(cls, texts: Iterable[str]) -> Acronyms:
        """Read every "Long Name (ACR)" and "ACR (Long Name)" pair from ``texts``.

        Returns:
            The pairs; an acronym expanded several ways keeps its long names most used first.
        """
        pairs: Counter[tuple[str, str]] = Counter()
        for text in texts:
            if "(" in text:
                pairs.update(_pairs_in(text))
        return cls.of_pairs([pair for pair, _ in pairs.most_common()])

    @classmethod
    def of_pairs(cls, pairs: Sequence[tuple[str, str]]) -> Acronyms:
        """Acronyms from ``(acronym, long name)`` pairs, best first."""
        long_forms: dict[str, list[str]] = {}
        short_forms: dict[str, list[str]] = {}
        for short, long in pairs:
            short, long = short.casefold(), " ".join(_WORD.findall(long.casefold()))
            if long not in long_forms.setdefault(short, []):
                long_forms[short].append(long)
            if short not in short_forms.setdefault(long, []):
                short_forms[long].append(short)
        return cls({k: tuple(v) for k, v in long_forms.items()},
                   {k: tuple(v) for k, v in short_forms.items()})

    def __len__(self) -> int:
        return len(self.long_forms)

    @cached_property
    def longest(self) -> int:
        """Words in the longest long name (how far a phrase lookup must look); counted once
        (a question asks ~12 times, and a 1M-chunk archive has thousands of long names)."""
        return max((len(k.split()) for k in self.short_forms), default=0)

    def aliases_of(self, name: str) -> list[str]:
        """The other forms of a name: an acronym's long names, or a long name's acronyms.

        Args:
            name: An acronym ("RSUP", any case) or a long name (any case and spacing).

        Returns:
            Lowercased other forms, most used first; empty when the articles give none.
        """
        key = " ".join(_WORD.findall(name.casefold()))
        return list(self.long_forms.get(key, ())) + list(self.short_forms.get(key, ()))
