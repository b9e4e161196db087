"""The lead of an answer: its first line, the one a reader reads first.

A factoid question gets its short answer in the asker's language ("Cairo", "More than 1,400
people", "Friday 23 February 2024"), then the quoted evidence. Another question asked in
English gets the report it quotes named in English, with its date, before the quote; asked in
Indonesian, the quote itself leads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from retrieval.answering.common.when import Day, article_day, format_day
from retrieval.answering.extractive.factoid import ArticleNames, Context, pick_short
from retrieval.answering.extractive.kinds import question_kind
from retrieval.answering.extractive.localize import localize
from retrieval.search import Searcher
from retrieval.search.query import Query
from retrieval.store import IndexView

__all__ = ["Lead", "report_label", "short_lead"]

_DATELINE_SEP = re.compile(r"\s*(?:\||–|—|--?|:)\s*")
_REPORT = {"en": "The {outlet}report{of} says", "id": "Laporan {outlet}{of}"}
_OF = {"en": " of {date}", "id": " tanggal {date}"}


@dataclass(frozen=True)
class Lead:
    """A short answer found in a window's sentence."""

    text: str
    sentence: int


def short_lead(searcher: Searcher, query: Query, article: int, sentences: tuple[int, ...]
               ) -> Lead | None:
    """The short answer to a factoid question from the first sentences that hold one."""
    kind = question_kind(query.text)
    if kind is None:
        return None
    view = searcher.view
    art = view.article(article)
    names = ArticleNames.of(searcher.lexicon, art.text)
    published = article_day(art.meta.date, art.meta.date_text)
    for sentence in sentences:
        text = view.sentence_text(sentence)
        context = Context(names, published, art.lang, _dateline_end(text, art.meta.place,
                                                                    art.meta.outlet))
        span = pick_short(kind, query, text, context)
        if span is not None:
            shown = localize(span, query.lang, searcher.lexicon.canonical)
            return Lead(shown[:1].upper() + shown[1:], sentence)
    return None


def _dateline_end(sentence: str, place: str | None, outlet: str | None) -> int:
    """Where the dateline ("Paris, MINA – ", "DAMASKUS - ") of a first sentence ends."""
    head = sentence[:80]
    if not any(p and head.casefold().startswith(p.casefold()) for p in (place, outlet)):
        return 0
    m = _DATELINE_SEP.search(head)
    return m.end() if m else 0


def article_date_text(view: IndexView, article: int, lang: str) -> str:
    """An article's date written out in ``lang`` ("" when it has none)."""
    meta = view.article(article).meta
    day: Day | None = article_day(meta.date, meta.date_text)
    return format_day(day, lang) if day is not None else ""


def report_label(view: IndexView, article: int, lang: str) -> str:
    """How a report is named in an answer: "The MINA report of Saturday 26 July ... says"."""
    meta = view.article(article).meta
    date = article_date_text(view, article, lang)
    outlet = f"{meta.outlet} " if meta.outlet and lang == "en" else ""
    if lang != "en" and meta.outlet:
        outlet = f"{meta.outlet} "
    label = _REPORT["en" if lang == "en" else "id"].format(
        outlet=outlet, of=_OF["en" if lang == "en" else "id"].format(date=date) if date else "")
    return " ".join(label.split())
