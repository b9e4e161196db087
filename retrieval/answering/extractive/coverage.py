"""How much of the question a text covers: the measure behind abstaining and picking.

Coverage is the idf-weighted share of the question's concepts found (in any of their forms,
either language) in a set of terms. The confidence of an answer is the best coverage of the
question by one retrieved article.
"""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.answering.context import ReadContext
from retrieval.search import Hit, Query
from retrieval.tuning import Tuning

__all__ = ["compactness", "confidence", "coverage", "sentence_coverage"]


def coverage(query: Query, present: frozenset[str], tuning: Tuning,
             other_language: bool = False) -> float:
    """Share of the question's concepts (idf-weighted) that ``present`` holds in any form.

    Against an article in the other language, a word the lexicon cannot translate (and that
    is no name, which reads the same in both) cannot be checked either way; it then counts
    for less, so a dictionary gap alone does not make Kabar abstain.
    """
    matched = possible = 0.0
    for concept in query.concepts:
        weight = concept.weight
        if other_language and not concept.bridged and not concept.name:
            weight *= tuning.untranslated_weight
        possible += weight
        if concept.found_in(present):
            matched += weight
    return matched / possible if possible > 0 else 0.0


def confidence(context: ReadContext, query: Query, hits: Sequence[Hit]) -> float:
    """How well the best retrieved article covers the question's concepts, in [0, 1]."""
    view = context.view
    best = 0.0
    seen: set[int] = set()
    for hit in hits:
        number = view.article_of_chunk(hit.chunk_id)
        if number in seen:
            continue
        seen.add(number)
        other = view.article(number).lang != query.lang
        best = max(best, coverage(query, context.article_terms(number), context.tuning,
                                  other))
    return best


def sentence_coverage(query: Query, sentence: frozenset[str], chunk: frozenset[str],
                      article: frozenset[str], tuning: Tuning) -> float:
    """Coverage of the question by one sentence, read in its context.

    A name the question mentions (``Paris``, ``Astana``) is often stated once in an article's
    dateline or first sentence while the sentence that answers only says "the talks": names
    found elsewhere in the article earn most of their weight. Other concepts (what was agreed,
    who met) must be in the sentence itself to count fully.
    """
    matched = possible = 0.0
    for concept in query.concepts:
        weight = concept.weight
        possible += weight
        strength = concept.strength(sentence)
        if strength:
            # The question's own word counts fully, a synonym or translation a little less,
            # so that "dimediasi" answers "memediasi" before "mediator" does.
            matched += weight * (1 - tuning.form_discount * (1 - strength))
        elif concept.name and concept.found_in(article):
            matched += tuning.name_in_context * weight
        elif concept.found_in(chunk):
            matched += tuning.term_in_context * weight
    return matched / possible if possible > 0 else 0.0


def compactness(query: Query, sentence_terms: Sequence[str]) -> float:
    """How close together the question's concepts sit in a sentence, in [0, 1].

    "kepala intelijen Mesir" answers "head of Egyptian intelligence" better than a sentence
    with "kepala dinas intelijen Israel ..." and "Mesir" far apart. Counts matched concepts
    over the span from the first to the last of their first mentions.
    """
    positions = []
    for concept in query.concepts:
        where = [i for i, t in enumerate(sentence_terms) if t in concept.stems]
        if where:
            positions.append(where[0])
    if len(positions) < 2:
        return 0.0
    return len(positions) / (max(positions) - min(positions) + 1)
