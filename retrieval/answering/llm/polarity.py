"""Polarity: a claim must not say the opposite of the passage sentence it rests on.

Each clause of the claim is aligned with the cited passage sentences that share most of its
concepts (by weight; ties all count). Then, for every concept of the clause found there:

* negation: when the aligned sentences hold the concept only negated and the claim does not
  negate it, or the other way round ("pertemuan tersebut tidak menghasilkan kesepakatan
  akhir" vs "the meeting produced a final agreement");
* opposites: when a word of the claim stands for a pole of a pair (:mod:`.opposites`) and the
  aligned sentences that speak of that pair say only its opposite — a word of the other pole,
  or the same pole negated ("sepakat untuk melanjutkan perundingan" vs "agreed to end the
  talks").

A concept the claim uses with both polarities, or the sentences hold with both, is not a
clash: only a clear contradiction drops a sentence. Linear in the claim's length.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from retrieval.answering.llm.structure import Sentence, positions
from retrieval.search.query import Concept

__all__ = ["aligned", "polarity_clash"]

#: Claim words either side of a word that place it in a passage sentence.
_NEIGHBOURS = 3


def aligned(claim: Sentence, concepts: Sequence[Concept], sentences: Sequence[Sentence]
            ) -> dict[int, list[float]]:
    """For each clause of the claim, each passage sentence's share of its concepts
    (weights of the clause's concepts the sentence holds)."""
    scores: dict[int, list[float]] = defaultdict(lambda: [0.0] * len(sentences))
    for concept in concepts:
        clauses = {claim.words[i].clause for i in positions(concept, claim)}
        held = [concept.found_in(s.terms) for s in sentences]
        for clause in clauses:
            row = scores[clause]
            for j, hit in enumerate(held):
                row[j] += concept.weight if hit else 0.0
    return scores


def _best(row: Sequence[float], among: Sequence[int]) -> list[int]:
    top = max((row[j] for j in among), default=0.0)
    return [j for j in among if row[j] == top]


class _Places:
    """Which concepts stand at each word of a sentence (built once per sentence and claim),
    so each question about a word costs what its neighbourhood costs."""

    def __init__(self, concepts: Sequence[Concept]) -> None:
        self._concepts = concepts
        self._at: dict[int, dict[int, list[Concept]]] = {}

    def at(self, sentence: Sentence) -> dict[int, list[Concept]]:
        found = self._at.get(id(sentence))
        if found is None:
            found = self._at[id(sentence)] = {}
            for concept in self._concepts:
                for k in positions(concept, sentence):
                    found.setdefault(k, []).append(concept)
        return found


def polarity_clash(claim: Sentence, concepts: Sequence[Concept],
                   sentences: Sequence[Sentence]) -> str:
    """"polarity" or "opposite" when the claim contradicts the sentences it aligns with,
    else ""."""
    scores = aligned(claim, concepts, sentences)
    places = _Places(concepts)
    for concept in concepts:
        holding = [j for j, s in enumerate(sentences) if concept.found_in(s.terms)]
        if not holding:
            continue
        for i in positions(concept, claim):
            best = _best(scores[claim.words[i].clause], holding)
            if not any(_agree(claim, i, places, sentences[j], concept) for j in best):
                return "polarity"
    return _opposite(claim, sentences, scores)


def _said_plainly(head: Sequence[int], negating: Sentence, other: Sentence,
                  places: _Places) -> bool:
    """Whether what one side negates (its scope's ``head``) is in the other side, and not
    negated there too (then the two differ only in how far the negation reaches)."""
    said = False
    at = places.at(negating)
    for concept in {id(c): c for h in head for c in at.get(h, [])}.values():
        there = positions(concept, other)
        if there and all(other.words[k].negated for k in there):
            return False
        said = said or bool(there)
    return said


def _nearest(claim: Sentence, i: int, places: _Places, sentence: Sentence,
             where: list[int]) -> list[int]:
    """Of ``where`` (a concept's places in ``sentence``), those closest to what stands next
    to claim word ``i`` ("sovereignty can be *negotiated*" is "kedaulatan ... tidak dapat
    *dinegosiasikan*", not the "perundingan" at the sentence's start)."""
    if len(where) < 2:
        return where
    at = places.at(claim)
    mine = {id(c) for c in at.get(i, [])}
    anchors = {k for j in range(max(0, i - _NEIGHBOURS), i + _NEIGHBOURS + 1) if j != i
               for c in at.get(j, []) if id(c) not in mine for k in positions(c, sentence)}
    if not anchors:
        return where
    distance = {k: min(abs(k - a) for a in anchors) for k in where}
    best = min(distance.values())
    return [k for k in where if distance[k] == best]


def _agree(claim: Sentence, i: int, places: _Places, sentence: Sentence,
           concept: Concept) -> bool:
    """Whether claim word ``i`` (of ``concept``) has its polarity in ``sentence``, or differs
    only by a negation about something else: a negation counts when what it negates (its
    scope's head) is said on both sides."""
    word = claim.words[i]
    for k in _nearest(claim, i, places, sentence, positions(concept, sentence)):
        other = sentence.words[k]
        if other.negated == word.negated:
            return True
        if word.negated and not _said_plainly(word.head, claim, sentence, places):
            return True
        if other.negated and not _said_plainly(other.head, sentence, claim, places):
            return True
    return False


def _opposite(claim: Sentence, sentences: Sequence[Sentence],
              scores: dict[int, list[float]]) -> str:
    said: dict[tuple[int, int], set[bool]] = defaultdict(set)
    for word in claim.words:
        for pair, second in word.poles:
            said[(pair, word.clause)].add(word.negated != second)
    if not said:
        return ""
    held: dict[int, dict[int, set[bool]]] = defaultdict(lambda: defaultdict(set))
    for j, sentence in enumerate(sentences):
        for word in sentence.words:
            for pair, second in word.poles:
                held[pair][j].add(word.negated != second)
    for (pair, clause), polarities in said.items():
        among = list(held[pair]) if pair in held else []
        there = {p for j in _best(scores.get(clause, [0.0] * len(sentences)), among)
                 for p in held[pair][j]}
        if there and not there & polarities:
            return "opposite"
    return ""
