"""A sentence as words that know their clause, whether they are negated and their poles.

Both sides of a check are read this way: the LLM's sentence (English or Indonesian) and the
sentences of the cited passages (Indonesian or English). A word carries its stems in both
languages, so a concept of the claim (:class:`retrieval.search.query.Concept`, with its
translations) finds it whatever the language.

* Clauses end at punctuation and at contrastive conjunctions ("but", "namun", "while").
* A negator (:data:`.opposites.NEGATORS`: not, never, failed, without, tidak, belum,
  gagal, tanpa…) negates the words after it in its clause, up to a coordinating "and"/"dan"
  or :data:`_SCOPE` content words: "did not produce a final agreement" negates "produce",
  "final" and "agreement". Two negators cancel out.
* A word of a pair of opposites (:mod:`.opposites`) records its pole.

:func:`read` is linear in the text's length.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from retrieval.answering.llm.opposites import NEGATOR_PHRASES, NEGATORS, NOT_NEGATIONS, pole_of
from retrieval.search.query import Concept
from retrieval.text.terms import STOPWORDS, stem

__all__ = ["Sentence", "Word", "is_root", "positions", "read"]

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:['’-][^\W\d_]+)*|[,;:()\[\]\"“”–—!?]|\.(?!\d)")
_CONTRAST = frozenset("""
    but however although though while whereas namun tetapi tapi sedangkan sementara
    meskipun walaupun padahal melainkan
""".split())
_COORDINATE = frozenset("and or nor dan atau serta maupun".split())
#: Words that open a clause of its own inside a sentence: a negation before them does not
#: reach into it ("does not believe *that* Assad can lead": the leading is not negated).
_COMPLEMENT = frozenset("that bahwa whether apakah because karena sebab".split())
#: Negators that stand before a noun: the verb before them is negated too.
_DETERMINERS = frozenset("no none nothing tiada".split())
#: Content words a negator reaches, and those of them that say what is negated (the
#: predicate right after it: "did not *produce*", "belum secara *terbuka mengomentari*").
_SCOPE = 6
_HEAD = 2
#: Modal and linking words: in a scope, but not what it negates ("tidak *boleh menjadi*
#: pertemuan" negates "pertemuan").
_AUXILIARY = frozenset("""
    boleh dapat bisa mampu harus perlu ingin mau akan menjadi jadi pernah secara lagi
    able can could must should would will may might be been being become became do does did
""".split())


@dataclass(frozen=True)
class Word:
    """One word of a sentence."""

    text: str  # lowercased
    start: int
    end: int
    stems: frozenset[str]  # its stems in both languages, and the word itself
    clause: int
    negated: bool
    head: tuple[int, ...]  # when negated: where the first content words of the scope are
    poles: tuple[tuple[int, bool], ...]  # (pair, second pole) of :mod:`.opposites`
    capital: bool
    stop: bool  # a stopword or a negator: no content of its own


@dataclass(frozen=True)
class Sentence:
    """A sentence's words and the positions of each stem."""

    words: tuple[Word, ...]
    terms: frozenset[str]
    where: Mapping[str, tuple[int, ...]] = field(default_factory=dict)


def read(text: str) -> Sentence:
    """``text`` as :class:`Word` s (see the module docstring)."""
    tokens: list[tuple[str, int, int, int]] = []  # word, start, end, clause
    clause = 0
    for m in _TOKEN.finditer(text):
        low = m.group(0).casefold()
        if not low[0].isalnum() or low in _CONTRAST:
            clause += 1
            continue
        tokens.append((low, m.start(), m.end(), clause))
    heads = _negations([(t[0], t[3], text[t[1]].isupper()) for t in tokens])
    words: list[Word] = []
    for (low, start, end, clause), head in zip(tokens, heads, strict=True):
        low = re.sub(r"['’]s$", "", low)
        stems = frozenset({low, stem(low, "id"), stem(low, "en")}) if low[0].isalpha() \
            else frozenset({re.sub(r"[.,]", "", low)})
        stop = low in STOPWORDS or _negator(low)
        poles = () if _person(low, stems) else pole_of(low, stems)
        words.append(Word(low, start, end, stems, clause, head is not None, head or (),
                          poles, text[start].isupper(), stop))
    where: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        for s in word.stems:
            where.setdefault(s, []).append(i)
    return Sentence(tuple(words), frozenset(where),
                    {k: tuple(v) for k, v in where.items()})


def _person(word: str, stems: frozenset[str]) -> bool:
    """A noun for a person who does the act ("pendukung", "supporters"): it names someone,
    it says nothing happened, so it carries no pole."""
    derived = len(stems - {word}) > 0
    return derived and ((word.startswith("pe") and not word.endswith("an"))
                        or word.endswith(("er", "ers")))


def _negator(word: str) -> bool:
    return word in NEGATORS or word.endswith(("n't", "n’t"))


@dataclass
class _Scope:
    reach: int  # content words it may still negate
    head: list[int]  # its first content words that are no names: what it negates


def _negations(tokens: list[tuple[str, int, bool]]) -> list[tuple[int, ...] | None]:
    """For each (word, clause, capitalised): the head of the negation scope it is in, else
    None.

    A negator starts a new scope (in "cannot be defeated without reducing" the reducing
    is negated once, by "without"). A determiner negator ("produced *no* agreement")
    negates the word before it too.
    """
    out: list[_Scope | None] = [None] * len(tokens)
    scope: _Scope | None = None
    for i, (word, clause, capital) in enumerate(tokens):
        if (i and clause != tokens[i - 1][1]) or word in _COORDINATE or word in _COMPLEMENT:
            scope = None
        pair = f"{word} {tokens[i + 1][0]}" if i + 1 < len(tokens) else ""
        if pair in NOT_NEGATIONS or word in _COORDINATE or word in _COMPLEMENT:
            continue
        if _negator(word) or pair in NEGATOR_PHRASES:
            scope = _Scope(_SCOPE, [])
            before = i - 1
            if word in _DETERMINERS and before >= 0 and tokens[before][1] == clause and \
                    tokens[before][0] not in STOPWORDS:
                scope.head.append(before)
                out[before] = scope
            continue
        if word in STOPWORDS or scope is None:
            continue
        if len(scope.head) < _HEAD and word not in _AUXILIARY and not capital:
            scope.head.append(i)
        out[i] = scope
        scope.reach -= 1
        if scope.reach <= 0:
            scope = None
    return [tuple(s.head) if s is not None else None for s in out]


def positions(concept: Concept, sentence: Sentence) -> list[int]:
    """Where in ``sentence`` the concept's forms are (a multiword form's words when all of
    them are there)."""
    found: set[int] = set()
    for term in concept.singles:
        found.update(sentence.where.get(term, ()))
    for phrase in concept.phrases:
        if phrase <= sentence.terms:
            for term in phrase:
                found.update(sentence.where.get(term, ()))
    return sorted(found)


def is_root(word: str) -> bool:
    """Whether ``word`` is in Sastrawi's dictionary of Indonesian root words."""
    return word in _id_roots()


@cache
def _id_roots() -> frozenset[str]:
    data = resources.files("Sastrawi.Stemmer").joinpath("data/kata-dasar.txt")
    return frozenset(data.read_text(encoding="utf-8").split())
