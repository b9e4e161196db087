"""Each report's answer to a factoid question: its value, where it says it, and when.

Every retrieved article is read as the extractive writer reads the best one
(:func:`..extractive.choose.score_windows`); an article is another report of the same thing
when its best window covers nearly as much of the question as the best article's
(``Tuning.report_cover_share``), and its value is the most likely short answer of the kind
asked in its windows (:func:`..extractive.lead.best_candidate`). Values are compared by what
they mean, not how they are written: "1.400", "1,400" and "seribu empat ratus" are one
number; "Kamis (17/7)" and "17 Juli" one day; "Norwegia" and "Norway" one name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.answering.common.numbers import SCALES
from retrieval.answering.common.spans import Span
from retrieval.answering.common.when import Day, article_day
from retrieval.answering.context import ReadContext
from retrieval.answering.extractive.candidates import FEATURES, Candidate
from retrieval.answering.extractive.choose import reading_list, score_windows
from retrieval.answering.extractive.lead import best_candidate
from retrieval.answering.writer import Window
from retrieval.search import Hit, Query

__all__ = ["Report", "article_windows", "reports_of", "value_key"]


@dataclass(frozen=True)
class Report:
    """One article's answer: the window that says it, its value and the article's time."""

    article: int
    window: Window
    sentence: int  # the sentence holding the value
    span: Span
    key: tuple[object, ...]  # what the value means, for comparing reports
    chance: float
    day: Day | None  # the article's publication day
    stamp: str  # the article's ISO date-time ("" when not known), for ordering
    person: float = 0.0  # the candidate's person_fit: 1 a person, -1 not one, 0 not asked


def article_windows(context: ReadContext, query: Query, hits: Sequence[Hit]
                    ) -> dict[int, list[Window]]:
    """Every retrieved article's windows, best first, articles in the order of their best
    window (the best article first)."""
    windows = score_windows(context, query, reading_list(context, hits))
    by_article: dict[int, list[Window]] = {}
    for w in sorted(windows.values(), key=lambda w: (-w.score, w.sentences)):
        by_article.setdefault(w.article, []).append(w)
    return by_article


def reports_of(context: ReadContext, query: Query, hits: Sequence[Hit]) -> list[Report]:
    """The reports that answer a factoid question, each with its value (best first)."""
    tuning = context.tuning
    by_article = article_windows(context, query, hits)
    if not by_article:
        return []
    best_lex = max(ws[0].lex for ws in by_article.values())
    found: list[Report] = []
    for article, windows in by_article.items():
        if len(found) >= tuning.max_reports:
            break
        if windows[0].lex < tuning.report_cover_share * best_lex:
            continue
        report = _report(context, query, article, windows)
        if report is not None:
            found.append(report)
    return found


def _report(context: ReadContext, query: Query, article: int, windows: list[Window]
            ) -> Report | None:
    """The article's value: the likeliest candidate of the windows scoring nearly as well
    as its best (the answering sentence may rank just below a headline that repeats the
    question)."""
    tuning = context.tuning
    floor = tuning.kind_window_share * windows[0].score
    best: tuple[Candidate, Window] | None = None
    for w in windows:
        if w.score < floor or w.hedged:
            continue
        found = best_candidate(context, query, article, w.sentences)
        if found is not None and (best is None or found.chance > best[0].chance):
            best = (found, w)
    if best is None or best[0].chance < tuning.report_min_chance:
        return None
    found, window = best
    meta = context.view.article(article).meta
    return Report(article, window, window.sentences[found.sentence], found.span,
                  value_key(found.span, context), found.chance,
                  article_day(meta.date, meta.date_text), meta.date or "",
                  found.features[FEATURES.index("person_fit")])


def value_key(span: Span, context: ReadContext) -> tuple[object, ...]:
    """What a value means: equal keys are the same value however written."""
    if span.kind == "number" and span.value is not None:
        scale = SCALES.get(span.scale, 1)
        upper = None if span.upper is None else round(span.upper * scale, 6)
        return ("number", round(span.value * scale, 6), upper)
    if span.kind == "date" and span.day is not None:
        day = span.day
        return ("date", day.month, day.day if day.day is not None else day.weekday)
    if span.kind == "year":
        return ("year", span.text)
    names = [context.lexicon.canonical(p) or p for p in span.parts]
    return ("name", tuple(sorted(" ".join(n.casefold().split()) for n in names)))
