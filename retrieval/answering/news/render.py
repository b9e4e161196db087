"""Writing reports that differ, the latest figure and a timeline as an answer.

Every value is the article's own words (a number written out gets its digits beside it,
"sembilan orang (9)"), each report is named by its outlet and date and cited, and each
quoted sentence is followed by its ``[n]``. The first lines hold every value asked for
(the lead a reader reads first); the quotes follow.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence

from retrieval.answering.common.when import Day, format_day
from retrieval.answering.context import ReadContext
from retrieval.answering.extractive.compose import citation
from retrieval.answering.extractive.lead import dateline_end
from retrieval.answering.extractive.localize import localize
from retrieval.answering.news.compare import Group, Layout
from retrieval.answering.news.facts import Report
from retrieval.answering.news.timeline import Step
from retrieval.answering.writer import Evidence, Window
from retrieval.store import IndexView
from retrieval.types import Answer, AnswerPart, Citation, ReportValue

__all__ = ["render_layout", "render_timeline"]

_WORDS = {
    "en": {"differ": "Reports differ: {}.", "or": " or ", "as_of": "{} as of {}",
           "earlier": "Earlier reports: ", "on": "{} on {}", "corrected": "corrected later",
           "timeline": "Timeline ({} reports):", "undated": "date not given"},
    "id": {"differ": "Laporan berbeda: {}.", "or": " atau ", "as_of": "{} per {}",
           "earlier": "Laporan sebelumnya: ", "on": "{} pada {}", "corrected": "kemudian diralat",
           "timeline": "Kronologi ({} laporan):", "undated": "tanggal tidak disebut"},
}


# A word a figure's span may end on that only leads to what follows ("Rp 65.000 per"
# kilogram): shown alone it reads as broken ("Rp 65.000 per per Senin").
_DANGLING = re.compile(r"\s+(?:per|dari|ke|di|of|to|at|in|for)$", re.I)


class _Numbers:
    """Citation numbers in order of first mention, and each article's quoted windows."""

    def __init__(self) -> None:
        self.of: dict[int, int] = {}
        self.windows: dict[int, list[Window]] = {}

    def cite(self, article: int, window: Window) -> int:
        n = self.of.setdefault(article, len(self.of) + 1)
        mine = self.windows.setdefault(article, [])
        if all(set(w.sentences).isdisjoint(window.sentences) for w in mine):
            mine.append(window)
        return n

    def citations(self, view: IndexView) -> tuple[Citation, ...]:
        return tuple(citation(view, a, n, self.windows[a]) for a, n in self.of.items())


def render_layout(evidence: Evidence, layout: Layout) -> Answer:
    """The answer for reports that differ (``conflict``) or a figure that changed
    (``latest``)."""
    context, lang = evidence.context, _lang(evidence)
    words, numbers = _WORDS[lang], _Numbers()
    values = [_value(context, g.reports[0], lang) for g in layout.groups]
    if layout.kind == "conflict":
        lines = [words["differ"].format(words["or"].join(dict.fromkeys(values)))]
        for value, group in zip(values, layout.groups, strict=True):
            lines.append(f"- {value}: {_group_line(context, group, numbers, lang)}")
    else:
        newest, earlier = layout.groups[0], layout.groups[1:]
        first = newest.reports[0]
        n = numbers.cite(first.article, _one(first))
        lines = [words["as_of"].format(values[0], _day_text(first.day, lang)) + f" [{n}]"]
        shown = []
        for value, group in zip(values[1:], earlier, strict=True):
            r = group.reports[0]
            mark = f" ({words['corrected']})" if group.corrected else ""
            shown.append(words["on"].format(value, _day_text(r.day, lang)) + mark
                         + f" [{numbers.cite(r.article, _one(r))}]")
        lines.append(words["earlier"] + "; ".join(shown) + ".")
        lines.append(f"{_label(context, first, lang)}: “{_quote(context, first)}” [{n}]")
    parts = (AnswerPart(layout.kind, tuple(
        ReportValue(v, numbers.of[r.article], _iso(r.day), _outlet(context, r.article),
                    _status(layout, i, g), tuple(numbers.of[x.article] for x in g.reports
                                                  if x.article in numbers.of))
        for i, (v, g) in enumerate(zip(values, layout.groups, strict=True))
        for r in g.reports[:1])),)
    return _answer(evidence, lines, numbers, parts)


def render_timeline(evidence: Evidence, steps: Sequence[Step]) -> Answer:
    """The answer listing a story's steps in the order they happened, each cited."""
    context, lang = evidence.context, _lang(evidence)
    view, numbers = context.view, _Numbers()
    lines = []
    values = []
    for step in steps:
        marks = []
        for sentence, article in zip(step.sentences, step.articles, strict=False):
            marks.append(numbers.cite(article, _window(view, article, sentence)))
        quote = _without_dateline(context, step.articles[0], view.sentence_text(step.sentences[0]))
        cited = "".join(f"[{n}]" for n in dict.fromkeys(marks))
        day = format_day(Day(step.day.year, step.day.month, step.day.day,
                             step.day.weekday()), lang)
        lines.append(f"- {day}: {quote} {cited}")
        values.append(ReportValue(quote, marks[0], step.day.isoformat(),
                                  _outlet(context, step.articles[0]), "",
                                  tuple(dict.fromkeys(marks))))
    header = _WORDS[lang]["timeline"].format(len(numbers.of))
    return _answer(evidence, [header, *lines], numbers,
                   (AnswerPart("timeline", tuple(values)),))


def _without_dateline(context: ReadContext, article: int, sentence: str) -> str:
    """A step's sentence without its dateline ("Sindangraja (WARTANUSA) - "): the line
    already says the day, and the citation names the outlet."""
    meta = context.view.article(article).meta
    cut = dateline_end(sentence, meta.place, meta.outlet)
    rest = sentence[cut:]
    return rest[:1].upper() + rest[1:] if cut and rest else sentence


def _answer(evidence: Evidence, lines: list[str], numbers: _Numbers,
            parts: tuple[AnswerPart, ...]) -> Answer:
    return Answer(evidence.question, "\n".join(lines), False, _lang(evidence),
                  numbers.citations(evidence.context.view), evidence.passages,
                  cut_to=evidence.cut_to, parts=parts)


def _group_line(context: ReadContext, group: Group, numbers: _Numbers, lang: str) -> str:
    """"“quote” — ANTARA, Saturday 12 July 2025 [1]; Jakarta Globe, Sunday 13 July [3]"."""
    first = group.reports[0]
    labels = [f"{_label(context, r, lang)} [{numbers.cite(r.article, _one(r))}]"
              for r in group.reports]
    return f"“{_quote(context, first)}” — " + "; ".join(labels)


def _value(context: ReadContext, report: Report, lang: str) -> str:
    shown = _DANGLING.sub("", localize(report.span, lang, context.lexicon.canonical))
    if report.span.kind == "number" and not any(ch.isdigit() for ch in shown) \
            and report.span.value is not None:
        value = report.span.value
        shown += f" ({int(value) if value == int(value) else value})"
    return shown


def _one(report: Report) -> Window:
    return dataclasses.replace(report.window, sentences=(report.sentence,))


def _window(view: IndexView, article: int, sentence: int) -> Window:
    chunk = next(c for c in view.chunks_of_article(article)
                 if sentence in view.sentences_of_chunk(c))
    return Window((sentence,), chunk, article, 0.0, 0.0, frozenset())


def _quote(context: ReadContext, report: Report) -> str:
    return context.view.sentence_text(report.sentence)


def _label(context: ReadContext, report: Report, lang: str) -> str:
    name = _outlet(context, report.article) or _short(context.view.article_title(report.article))
    return f"{name}, {_day_text(report.day, lang)}"


def _short(title: str, limit: int = 50) -> str:
    """A headline standing in for an outlet the article does not name, cut at a word."""
    return title if len(title) <= limit else title[:limit].rsplit(" ", 1)[0] + "…"


def _outlet(context: ReadContext, article: int) -> str | None:
    return context.view.article(article).meta.outlet


def _day_text(day: Day | None, lang: str) -> str:
    return (format_day(day, lang) if day is not None else "") or _WORDS[lang]["undated"]


def _iso(day: Day | None) -> str | None:
    date: dt.date | None = day.date() if day is not None else None
    return date.isoformat() if date is not None else None


def _status(layout: Layout, index: int, group: Group) -> str:
    if layout.kind != "latest":
        return ""
    if index == 0:
        return "newest"
    return "corrected" if group.corrected else "earlier"


def _lang(evidence: Evidence) -> str:
    return "en" if evidence.query.lang == "en" else "id"

