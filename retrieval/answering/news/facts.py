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

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.answering.common.numbers import SCALES
from retrieval.answering.common.spans import Span
from retrieval.answering.common.when import Day, article_day
from retrieval.answering.context import ReadContext
from retrieval.answering.extractive.candidates import FEATURES, Candidate
from retrieval.answering.extractive.choose import reading_list, score_windows
from retrieval.answering.extractive.factoid import CLASSIFIERS
from retrieval.answering.extractive.lead import candidates
from retrieval.answering.news.clock import times_in
from retrieval.answering.news.corrections import corrected_in
from retrieval.answering.writer import Window
from retrieval.search import Hit, Query
from retrieval.search.query import Concept

# Units of time: a count of them answers only "how long" ("berapa lama").
_TIME_UNITS = frozenset("""detik menit jam hari minggu pekan bulan tahun abad second seconds
    minute minutes hour hours day days week weeks month months year years""".split())
_HOW_LONG = re.compile(r"\b(berapa lama|how long|berapa (?:hari|jam|menit|minggu|pekan|bulan|"
                       r"tahun)|how many (?:days|hours|minutes|weeks|months|years))\b", re.I)

# Units that say how a figure is measured, not what it counts: 71 percent turnout and
# 52.4 percent of the vote are shares of different things.
SHARES = frozenset({"persen", "percent", "per cent", "%", "prosen"})

_ALIKE_MIN = 4

__all__ = [
    "CLASSIFIERS",
    "SHARES",
    "Report",
    "article_windows",
    "asked_concepts",
    "reports_of",
    "same_story",
    "same_thing",
    "says_asked",
    "value_key",
]


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
    windows = score_windows(context, query, reading_list(context, hits, len(hits)))
    by_article: dict[int, list[Window]] = {}
    for w in sorted(windows.values(), key=lambda w: (-w.score, w.sentences)):
        by_article.setdefault(w.article, []).append(w)
    return by_article


def reports_of(context: ReadContext, query: Query, hits: Sequence[Hit]) -> list[Report]:
    """The reports that answer a factoid question, each with its value (best first)."""
    found: list[Report] = []
    story = same_story(context, query, hits)
    asked = asked_concepts(query)
    for article, windows in story.items():
        if len(found) >= context.tuning.max_reports:
            break
        report = _report(context, query, article, windows, found[0] if found else None, asked)
        if report is not None:
            found.append(report)
    return found


def same_thing(first: Span, other: Span) -> bool:
    """Whether two numbers count the same named thing ("64 penumpang", "80 penumpang"):
    the same unit word, not one that only classifies ("orang")."""
    unit = first.unit.casefold()
    return first.kind == other.kind == "number" and bool(unit) \
        and unit == other.unit.casefold() and unit not in CLASSIFIERS and unit not in SHARES


def same_story(context: ReadContext, query: Query, hits: Sequence[Hit],
               share: float | None = None) -> dict[int, list[Window]]:
    """The retrieved articles that report what the question asks about, with their windows
    (best article first): each names at least half the names of the question (the
    landslide's toll is not the ferry's; "Gunung" may be "Mount" in an English report, and
    a capitalised first word is not always a name), and its best window covers nearly as
    much of the question as the best article's (``share`` of it; default
    ``Tuning.report_cover_share``)."""
    by_article = article_windows(context, query, hits)
    if not by_article:
        return {}
    # Coverage is compared within a language: the lexicon translates words, not every
    # form, so a report in the other language covers less of the question's wording.
    view = context.view
    best_lex: dict[str, float] = {}
    for a, ws in by_article.items():
        lang = view.article(a).lang
        best_lex[lang] = max(best_lex.get(lang, 0.0), ws[0].lex)
    names = [c for c in query.concepts if c.name]

    def named(article: int) -> bool:
        found = sum(c.found_in(context.article_terms(article)) for c in names)
        return not names or 2 * found >= len(names)

    best = next(iter(by_article))
    cover = context.tuning.report_cover_share if share is None else share
    alike = [a for a, ws in by_article.items()
             if a != best and ws[0].lex >= cover * best_lex[view.article(a).lang] and named(a)]
    story = _dated_chain(context, best, alike)
    return {a: ws for a, ws in by_article.items() if a == best or a in story}


def _dated_chain(context: ReadContext, best: int, others: list[int]) -> set[int]:
    """The articles of ``others`` dated within ``Tuning.report_days`` of the best article or
    of another one already found so: a story runs on for weeks in reports days apart (a
    price that rises through a month, a trial from its demand to its verdict), while two
    talks in Paris months apart, with no report between them, are two stories. An undated
    best article has no other reports: they could not be told apart or ordered."""
    def day(article: int) -> dt.date | None:
        meta = context.view.article(article).meta
        found = article_day(meta.date, meta.date_text)
        return found.date() if found is not None else None

    anchor = day(best)
    if anchor is None:
        return set()
    days = {a: d for a in others if (d := day(a)) is not None}
    reached, story = [anchor], set()
    while reached:
        near = {a for a, d in days.items() if a not in story and any(
            abs((d - r).days) <= context.tuning.report_days for r in reached)}
        story |= near
        reached = [days[a] for a in near]
    return story


def _report(context: ReadContext, query: Query, article: int, windows: list[Window],
            first: Report | None = None, asked: tuple[Concept, ...] = ()) -> Report | None:
    """The article's value: in its windows scoring nearly as well as its best (the answering
    sentence may rank just below a headline that repeats the question), the first likely
    candidate (``short_min_chance``), else the one whose chance times its window's share of
    the best window's score is highest (a likelier figure in a sentence further from the
    question is more often another figure); never a duration for a count, a time of day,
    or a figure the article itself says was wrong ("bukan 12", "sempat disebut 12"). A
    count of the very thing the first report counts needs no more than to be found: the
    candidate model's chance falls when the sentence writes "kapal itu" for the ferry's
    name, yet "64 penumpang" is still the report's count of passengers."""
    tuning = context.tuning
    floor = tuning.kind_window_share * windows[0].score
    asks_duration = bool(_HOW_LONG.search(query.text))
    best: tuple[Candidate, Window] | None = None
    weight = 0.0
    for w in windows:
        if w.score < floor or w.hedged:
            continue
        found = _window_value(context, query, article, w, asked, asks_duration)
        if found is not None:
            share = found.chance * w.score / windows[0].score
            if best is None or share > weight:
                best, weight = (found, w), share
        if best is not None and best[0].chance >= tuning.short_min_chance:
            break
    if best is None or (best[0].chance < tuning.report_min_chance
                        and not (first is not None and same_thing(first.span, best[0].span))):
        return None
    found, window = best
    meta = context.view.article(article).meta
    return Report(article, window, window.sentences[found.sentence], found.span,
                  value_key(found.span, context), found.chance,
                  article_day(meta.date, meta.date_text), meta.date or "",
                  found.features[FEATURES.index("person_fit")])


def _window_value(context: ReadContext, query: Query, article: int, window: Window,
                  asked: tuple[Concept, ...], asks_duration: bool) -> Candidate | None:
    """A window's value: its likeliest candidate that is not a duration for a count, a time
    of day, a figure the article says was wrong, or in a sentence that does not tell of what
    is asked (:func:`says_asked`). A date that is only the
    report's own news day ("on Thursday postponed the verdict ... to Feb. 26", reported on
    Friday) gives way to another date of its sentence: the day a thing was said is in
    nearly every sentence of news, the day asked about is the other one."""
    view = context.view
    lang = view.article(article).lang
    chosen: Candidate | None = None
    for found in candidates(context, query, article, window.sentences):
        sentence = window.sentences[found.sentence]
        text = view.sentence_text(sentence)
        if corrected_in(text, found.span, lang) or (_duration(found.span) and not asks_duration) \
                or _clock(text, found.span) or not says_asked(context, query, sentence, asked):
            continue
        if chosen is None:
            chosen = found
            if not _news_day(context, article, found.span):
                return chosen
        elif found.sentence == chosen.sentence and found.span.kind == "date" \
                and found.chance >= context.tuning.report_min_chance \
                and not _news_day(context, article, found.span):
            return found
    return chosen


def _news_day(context: ReadContext, article: int, span: Span) -> bool:
    """Whether a date is the report's own day or the day before (the news of the day)."""
    meta = context.view.article(article).meta
    published = article_day(meta.date, meta.date_text)
    today = published.date() if published is not None else None
    day = span.day if span.kind == "date" else None
    if today is None or day is None or day.month is None or day.day is None:
        return False
    try:
        told = day.date() or dt.date(today.year, day.month, day.day)
    except ValueError:
        return False
    return 0 <= (today - told).days <= 1


def asked_concepts(query: Query) -> tuple[Concept, ...]:
    """The question's words that say what is asked: not its names. (Leaving out the words
    every report of the story holds, "longsor" for a landslide's evacuees, was tried: it
    left too little to tell a report's sentence by, on both dev sets.)"""
    return tuple(c for c in query.concepts if not c.name)


def says_asked(context: ReadContext, query: Query, sentence: int,
               asked: Sequence[Concept]) -> bool:
    """Whether a sentence tells of what the question asks (``asked``, from
    :func:`asked_concepts`), not only of whom: it holds one of those words in the
    question's own form or an alias ("ditahan" for "Sejak kapan Bambang ditahan?";
    a synonym ties too loosely: "pemilih", voters, and "suara", votes, make turnout and a
    vote share one). A report's sentence naming only the story's people ("menunda putusan
    terhadap Bambang hingga Rabu (26/2)") gives the value of another question.

    In the other language, a translation either way will do: the lexicon does not give
    every word every translation ("ditahan" lacks "detained", yet "detained" gives
    "ditahan"), and the sentence vectors do not tell the topic apart (0.835 for "postponed
    the verdict" and 0.823 for "detained since", asked "sejak kapan ditahan")."""
    if not asked:
        return True
    view = context.view
    present = frozenset(context.sentence_terms(sentence))
    lang = view.article(view.article_of_sentence(sentence)).lang
    if lang == query.lang:
        return any(c.strength(present) >= 1.0 for c in asked)
    if any(c.found_in(present) for c in asked):
        return True
    wanted = {t for c in asked for t in c.stems}
    told = {t for c in context.concepts(view.sentence_text(sentence), lang) for t in c.stems}
    told |= present
    return any(_spelled_alike(a, b) for a in wanted for b in told)


def _spelled_alike(a: str, b: str) -> bool:
    """Whether two stems are one word however spelled or cut: equal, one the start of the
    other ("kilo", "kilogram"), or one letter apart ("chilli", "chili"); at least
    ``_ALIKE_MIN`` letters, so that short stems do not match by chance."""
    if a == b:
        return True
    if min(len(a), len(b)) < _ALIKE_MIN:
        return False
    if a.startswith(b) or b.startswith(a):
        return True
    if abs(len(a) - len(b)) != 1:
        return False
    long, short = (a, b) if len(a) > len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def _clock(sentence: str, span: Span) -> bool:
    """A number that is a time of day ("pukul 09.00"): never a count."""
    return span.kind == "number" and any(
        t.start <= span.start < t.end for t, _ in times_in(sentence))


def _duration(span: Span) -> bool:
    """A span of time ("tiga hari", "2 hours"): never the count a "how many" asks."""
    return span.kind == "number" and span.unit.casefold() in _TIME_UNITS


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
