"""A timeline: the dated steps of a story, across its reports, in the order they happened.

The story's reports are the retrieved articles that cover the question nearly as well as
the best one (as for reports that differ). Each gives its steps: its opening sentence (the
news of the day, dated by the article when it writes no other day) and the sentences that
write a day ("Rabu (2/7)", "kemarin", "on Saturday", "4 Juli"), resolved against the
article's own date; at most ``Tuning.timeline_steps_per_article``, the closest in meaning
to the question first. The same event told by several outlets (one day, and sentences that
share most of their concepts, in either language) is one step with all its citations.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from retrieval.answering.common.when import WhenSpan, article_day, find_when
from retrieval.answering.context import ReadContext
from retrieval.answering.news.facts import same_story
from retrieval.search import Hit, Query

__all__ = ["Step", "timeline"]

_WORDS = re.compile(r"[^\W\d_]{2,}")
_EVENT_WORDS = 3


@dataclass(frozen=True)
class Step:
    """One event: its day, and the sentences (of one or more articles) that tell it."""

    day: dt.date
    sentences: tuple[int, ...]  # the first one is quoted
    articles: tuple[int, ...]
    stamp: str  # the first report's date-time, to order steps of one day


@dataclass(frozen=True)
class _Told:
    sentence: int
    article: int
    day: dt.date
    stamp: str
    similarity: float


def timeline(context: ReadContext, query: Query, hits: Sequence[Hit]) -> list[Step]:
    """The story's steps in the order they happened (empty when fewer than two)."""
    tuning = context.tuning
    # A timeline question names the story, not a fact: a report of it may cover little of
    # the question's wording (another language), its names and date keep it in the story.
    story = list(same_story(context, query, hits, tuning.timeline_cover_share))
    story = story[:2 * tuning.max_reports]
    told = [t for article in story for t in _steps_of(context, query, article)]
    steps = _merge(context, told)
    if len(steps) < 2:
        return []
    return sorted(_select(steps, tuning.timeline_steps), key=lambda s: (s.day, s.stamp))


def _select(steps: list[Step], limit: int) -> list[Step]:
    """At most ``limit`` steps, the most relevant first, but every report's best step
    before any report's second: each report that tells of the story is cited."""
    chosen: list[Step] = []
    covered: set[int] = set()
    for step in steps:
        if len(chosen) < limit and not covered.issuperset(step.articles):
            chosen.append(step)
            covered.update(step.articles)
    for step in steps:
        if len(chosen) < limit and step not in chosen:
            chosen.append(step)
    return chosen


def _steps_of(context: ReadContext, query: Query, article: int) -> list[_Told]:
    """An article's dated sentences, closest to the question first."""
    view = context.view
    art = view.article(article)
    published = article_day(art.meta.date, art.meta.date_text)
    own = published.date() if published is not None else None
    title = view.article_title(article)
    sims = view.sentence_vectors(art.sent_lo, art.sent_hi) @ query.vector.astype(np.float32)
    found: list[_Told] = []
    opening = True
    for j in range(art.sent_lo, art.sent_hi):
        text = view.sentence_text(j)
        if text == title:
            continue
        whens = find_when(text, published)
        if _only_dates(text, whens):
            continue  # "February 13, 2025 | 09:12 GMT+7": a dateline left over, no event
        days = [w.day.date() for w in whens]
        day = next((d for d in days if d is not None), None)
        if day is None and opening:
            day = own  # the news of the day: the article's own date
        opening = False
        if day is not None:
            found.append(_Told(j, article, day, art.meta.date or "",
                               float(sims[j - art.sent_lo])))
    found.sort(key=lambda t: -t.similarity)
    return found[:context.tuning.timeline_steps_per_article]


def _only_dates(text: str, whens: Sequence[WhenSpan]) -> bool:
    """Whether a line says nothing but a date and time: fewer than three words of letters
    are left without its dates (an event needs someone doing something)."""
    rest = text
    for w in sorted(whens, key=lambda w: -w.start):
        rest = rest[:w.start] + " " + rest[w.end:]
    return len(_WORDS.findall(rest)) < _EVENT_WORDS


def _merge(context: ReadContext, told: list[_Told]) -> list[Step]:
    """Steps of one day told alike by several reports merged, the most relevant first."""
    steps: list[tuple[_Told, list[_Told]]] = []
    for t in sorted(told, key=lambda t: -t.similarity):
        same = next((s for s in steps if s[0].day == t.day and t.article not in
                     {x.article for x in s[1]} and _alike(context, s[0].sentence, t.sentence)),
                    None)
        if same is None:
            steps.append((t, [t]))
        else:
            same[1].append(t)
    return [Step(first.day, tuple(x.sentence for x in group),
                 tuple(dict.fromkeys(x.article for x in group)), first.stamp)
            for first, group in steps]


def _alike(context: ReadContext, a: int, b: int) -> bool:
    """Whether two sentences tell the same thing: most of each one's concepts, read in both
    languages, are in the other ("Kapal ... tenggelam di perairan Pulau Lembo, Sabtu pagi"
    and "the ferry sank off Lembo island on Saturday morning"), or they share most of their
    terms. (The sentence vectors' similarity does not tell this apart: 0.89 for that pair,
    0.92 for two different events of that day.)"""
    tuning = context.tuning
    ta, tb = frozenset(context.sentence_terms(a)), frozenset(context.sentence_terms(b))
    if len(ta & tb) / max(1, len(ta | tb)) >= tuning.timeline_same_terms:
        return True
    return min(_share(context, a, tb), _share(context, b, ta)) >= tuning.timeline_same_concepts


def _share(context: ReadContext, sentence: int, other: frozenset[str]) -> float:
    """The share of a sentence's concepts (with their translations) found in ``other``."""
    view = context.view
    lang = view.article(view.article_of_sentence(sentence)).lang
    concepts = context.concepts(view.sentence_text(sentence), lang)
    return sum(c.found_in(other) for c in concepts) / max(1, len(concepts))
