"""Choosing the structure of an answer over changing reports, and the period asked."""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Sequence

from retrieval.answering.common.when import Day, article_day, find_when
from retrieval.answering.context import ReadContext
from retrieval.answering.news.asked import Asked, Period, read_asked
from retrieval.answering.news.compare import compare
from retrieval.answering.news.facts import reports_of
from retrieval.answering.news.render import render_layout, render_timeline
from retrieval.answering.news.timeline import timeline
from retrieval.answering.news.times import asks_time, time_reports
from retrieval.answering.writer import Decision, Evidence
from retrieval.search import Hit
from retrieval.types import Answer

__all__ = ["arrange", "asked_of", "newest_day", "within_period"]

# The newest day of each loaded version, found once (a version's articles never change).
_NEWEST: weakref.WeakKeyDictionary[ReadContext, tuple[Day | None]] = \
    weakref.WeakKeyDictionary()


def asked_of(context: ReadContext, question: str) -> Asked:
    """How ``question`` asks about reports, relative times read against the newest article
    of the loaded index."""
    return read_asked(question, newest_day(context))


def arrange(evidence: Evidence, decision: Decision) -> Answer | None:
    """The structured answer when the reports call for one, else ``None`` (the writer
    writes the plain answer)."""
    if not decision.answers:
        return None
    context = evidence.context
    asked = asked_of(context, evidence.question)
    if asked.timeline:
        steps = timeline(context, evidence.query, evidence.wider or evidence.hits)
        return render_timeline(evidence, steps) if steps else None
    if asks_time(evidence.question):
        reports = time_reports(context, evidence.query, evidence.wider or evidence.hits)
    elif asked.kind is not None:
        reports = reports_of(context, evidence.query, evidence.wider or evidence.hits)
    else:
        return None
    articles = {context.view.article_of_chunk(h.chunk_id) for h in evidence.wider or evidence.hits}
    layout = compare(context, asked, reports, sorted(articles))
    return render_layout(evidence, layout) if layout is not None else None


def within_period(context: ReadContext, question: str, hits: Sequence[Hit]) -> list[Hit]:
    """``hits`` of the reports of the time ``question`` names ("in March 2025", "minggu
    lalu"): an article dated then, or one that tells of a day then; an article whose date
    is not known is kept. All of ``hits`` when the question names no time."""
    period = asked_of(context, question).period
    if period is None:
        return list(hits)
    keep: dict[int, bool] = {}
    out = []
    for hit in hits:
        article = context.view.article_of_chunk(hit.chunk_id)
        if article not in keep:
            keep[article] = _of_period(context, article, period)
        if keep[article]:
            out.append(hit)
    return out


def _of_period(context: ReadContext, article: int, period: Period) -> bool:
    view = context.view
    art = view.article(article)
    published = article_day(art.meta.date, art.meta.date_text)
    held = period.holds(published)
    if held is None or held:
        return True
    return any(period.holds(w.day) for j in range(art.sent_lo, art.sent_hi)
               for w in find_when(view.sentence_text(j), published))



def newest_day(context: ReadContext) -> Day | None:
    """The newest article's publication day in the loaded version: "now" for a question's
    "last week" or "kemarin"; ``None`` when no article has a full date."""
    cached = _NEWEST.get(context)
    if cached is None:
        days = [article_day(a.meta.date, a.meta.date_text) for a in context.view.articles]
        dated = [d for d in days if d is not None and d.date() is not None]
        cached = (max(dated, key=lambda d: d.date() or dt.date.min) if dated else None,)
        _NEWEST[context] = cached
    return cached[0]
