"""The short answer of a factoid question: the first line a reader reads.

A factoid question gets its short answer in the asker's language ("Cairo", "More than 1,400
people", "Friday 23 February 2024"), then the quoted evidence. Every candidate of the kind
asked in the first window's sentences is scored (:mod:`.candidates`); :func:`shown_lead`
gives the best only when the fitted chance that it is right reaches
``Tuning.short_min_chance``, else the quoted sentence leads alone. :func:`short_lead` gives
it however unsure, for the gate's "does the sentence hold an answer of the kind asked"
check: a candidate too unsure to be shown still is one, so not showing it never refuses.
(Another question asked in English gets the report it quotes named instead,
:func:`retrieval.answering.common.reports.report_label`.)
"""

from __future__ import annotations

import re

import numpy as np

from retrieval.answering.common.when import article_day
from retrieval.answering.context import ReadContext
from retrieval.answering.extractive.candidates import Candidate, score_candidates
from retrieval.answering.extractive.factoid import ArticleNames, Context
from retrieval.answering.extractive.kinds import question_kind
from retrieval.answering.extractive.localize import localize
from retrieval.answering.writer import Lead
from retrieval.search.query import Query

__all__ = ["best_candidate", "candidates", "dateline_end", "short_lead", "shown_lead"]

_DATELINE_SEP = re.compile(r"\s*(?:\||–|—|--?|:)\s*")
# "City, Outlet - " or "City, Weekday - ": at most two words after the comma.
_DATELINE = re.compile(r"^[^\W\d][\w .'-]{1,30},\s*[^\W\d]\w*(?: \w+)?\s+[-–—]\s+")


def short_lead(context: ReadContext, query: Query, article: int, sentences: tuple[int, ...]
               ) -> Lead | None:
    """The most likely short answer to a factoid question, however unsure: whether the
    sentences hold an answer of the kind asked at all (the gate's check, and
    :func:`.choose.kind_first`'s)."""
    best = best_candidate(context, query, article, sentences)
    return None if best is None else _lead(context, query, best, sentences)


def shown_lead(context: ReadContext, query: Query, article: int, sentences: tuple[int, ...]
               ) -> Lead | None:
    """The short line to show: the best candidate when the fitted chance that it is right
    reaches ``Tuning.short_min_chance``, else ``None`` (the quoted sentence leads)."""
    best = best_candidate(context, query, article, sentences)
    if best is None or best.chance < context.tuning.short_min_chance:
        return None
    return _lead(context, query, best, sentences)


def _lead(context: ReadContext, query: Query, best: Candidate, sentences: tuple[int, ...]
          ) -> Lead:
    shown = localize(best.span, query.lang, context.lexicon.canonical)
    return Lead(shown[:1].upper() + shown[1:], sentences[best.sentence])


def best_candidate(context: ReadContext, query: Query, article: int,
                   sentences: tuple[int, ...]) -> Candidate | None:
    """The most likely short answer in ``sentences`` of ``article``, whatever its chance."""
    found = candidates(context, query, article, sentences)
    return found[0] if found else None


def candidates(context: ReadContext, query: Query, article: int,
               sentences: tuple[int, ...]) -> list[Candidate]:
    """Every short answer of the kind asked in ``sentences`` of ``article``, best first
    (none for a question of no short kind)."""
    kind = question_kind(query.text)
    if kind is None:
        return []
    view = context.view
    art = view.article(article)
    names = ArticleNames.of(context.lexicon, art.text)
    published = article_day(art.meta.date, art.meta.date_text)
    # How close in meaning each sentence is to the question, for a model whose similarities
    # are calibrated (a floor is set for it), across languages as close as within one.
    floor = context.tuning.similarity_floor
    read = []
    for sentence in sentences:
        text = view.sentence_text(sentence)
        near = None if floor is None else _similarity(context, query, sentence) - floor + (
            context.tuning.similarity_gap if art.lang != query.lang else 0.0)
        read.append((text, Context(names, published, art.lang,
                                   dateline_end(text, art.meta.place, art.meta.outlet),
                                   near)))
    return score_candidates(kind, query, read)


def _similarity(context: ReadContext, query: Query, sentence: int) -> float:
    rows = context.view.sentence_vectors(sentence, sentence + 1)
    return float(rows[0] @ query.vector.astype(np.float32)) if len(rows) else 0.0


def dateline_end(sentence: str, place: str | None, outlet: str | None) -> int:
    """Where the dateline ("Paris, MINA – ", "DAMASKUS - ", "Solo, Kompas - ") of a first
    sentence ends."""
    head = sentence[:80]
    if not any(p and head.casefold().startswith(p.casefold()) for p in (place, outlet)):
        # Without the article's place or outlet: "City, Outlet-or-weekday - " still is one.
        m = _DATELINE.match(head)
        return m.end() if m else 0
    m = _DATELINE_SEP.search(head)
    return m.end() if m else 0
