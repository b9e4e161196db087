"""The short answer of a factoid question: the first line a reader reads.

A factoid question gets its short answer in the asker's language ("Cairo", "More than 1,400
people", "Friday 23 February 2024"), then the quoted evidence. The gate looks for it too: a
factoid question whose answering sentences hold no answer of the kind asked is not
answered. (Another question asked in English gets the report it quotes named instead,
:func:`retrieval.answering.common.reports.report_label`.)
"""

from __future__ import annotations

import re

from retrieval.answering.common.when import article_day
from retrieval.answering.context import ReadContext
from retrieval.answering.extractive.factoid import ArticleNames, Context, pick_short
from retrieval.answering.extractive.kinds import question_kind
from retrieval.answering.extractive.localize import localize
from retrieval.answering.writer import Lead
from retrieval.search.query import Query

__all__ = ["short_lead"]

_DATELINE_SEP = re.compile(r"\s*(?:\||–|—|--?|:)\s*")


def short_lead(context: ReadContext, query: Query, article: int, sentences: tuple[int, ...]
               ) -> Lead | None:
    """The short answer to a factoid question from the first sentences that hold one."""
    kind = question_kind(query.text)
    if kind is None:
        return None
    view = context.view
    art = view.article(article)
    names = ArticleNames.of(context.lexicon, art.text)
    published = article_day(art.meta.date, art.meta.date_text)
    for sentence in sentences:
        text = view.sentence_text(sentence)
        around = Context(names, published, art.lang, _dateline_end(text, art.meta.place,
                                                                   art.meta.outlet))
        span = pick_short(kind, query, text, around)
        if span is not None:
            shown = localize(span, query.lang, context.lexicon.canonical)
            return Lead(shown[:1].upper() + shown[1:], sentence)
    return None


def _dateline_end(sentence: str, place: str | None, outlet: str | None) -> int:
    """Where the dateline ("Paris, MINA – ", "DAMASKUS - ") of a first sentence ends."""
    head = sentence[:80]
    if not any(p and head.casefold().startswith(p.casefold()) for p in (place, outlet)):
        return 0
    m = _DATELINE_SEP.search(head)
    return m.end() if m else 0
