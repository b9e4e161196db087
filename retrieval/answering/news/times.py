"""Times of day in reports, for "pukul berapa / jam berapa / what time" questions.

"sekitar pukul 03.00 WIT", "pukul 3 dini hari" and "around 3 a.m." are one time; "pukul
02.30" is another. Each report's time is the one nearest the question's words in its best
windows ("berangkat pukul 22.00 dan tenggelam sekitar pukul 03.00": the sinking's, for
"what time did it sink"), compared in minutes after midnight.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from retrieval.answering.common.spans import Span
from retrieval.answering.common.when import article_day
from retrieval.answering.context import ReadContext
from retrieval.answering.news.clock import times_in
from retrieval.answering.news.facts import Report, same_story
from retrieval.search import Hit, Query
from retrieval.text.terms import terms

__all__ = ["asks_time", "time_reports"]

_ASKS = re.compile(r"\b(pukul berapa|jam berapa|what time|at what time|at what hour|"
                   r"on what time|pada pukul berapa|sekitar pukul berapa)\b", re.I)
_WORD = re.compile(r"\w+")
_TIME_WINDOW_SHARE = 0.5


def asks_time(question: str) -> bool:
    """Whether the question asks for a time of day."""
    return bool(_ASKS.search(question))


def time_reports(context: ReadContext, query: Query, hits: Sequence[Hit]) -> list[Report]:
    """Each report of the story with the time it gives for what is asked (best first)."""
    wanted = {t for c in query.concepts if not c.name for t in c.stems}
    found: list[Report] = []
    for article, windows in same_story(context, query, hits).items():
        if len(found) >= context.tuning.max_reports:
            break
        # A report's time may sit a little away from the sentence that best matches the
        # question ("The vessel went down at around 3 a.m." after the lead).
        floor = _TIME_WINDOW_SHARE * windows[0].score
        best: tuple[float, int, Span, int] | None = None
        for w in windows:
            if w.score < floor:
                break
            for j in w.sentences:
                for span, minutes in times_in(context.view.sentence_text(j)):
                    near = _distance(context, j, span, wanted)
                    if best is None or near < best[0]:
                        best = (near, j, span, minutes)
        if best is not None:
            meta = context.view.article(article).meta
            window = windows[0]
            found.append(Report(article, window, best[1], best[2], ("time", best[3]), 1.0,
                                article_day(meta.date, meta.date_text), meta.date or ""))
    return found


def _distance(context: ReadContext, sentence: int, span: Span, wanted: set[str]) -> float:
    """Characters from the time to the nearest word of the question (far when none)."""
    text = context.view.sentence_text(sentence)
    lang = context.view.article(context.view.article_of_sentence(sentence)).lang
    gaps = [min(abs(m.start() - span.end), abs(span.start - m.end()))
            for m in _WORD.finditer(text)
            if (stems := terms(m.group(0), lang)) and stems[0] in wanted]
    return float(min(gaps)) if gaps else 1e6
