"""Whether the reports agree, differ, or tell a figure that changed, and which is newest.

Reports whose values mean the same (:func:`.facts.value_key`) are one value with all their
citations. When more than one value is left:

- a value a later report corrects ("BNPB meralat angka 12", "9 orang, bukan 12", "earlier
  reported as 12") is marked corrected, and the answer is the latest figure;
- a question asking for the figure now ("sampai saat ini", "so far", "terbaru"), or a count
  whose values each come from a different day (a toll that rises, evacuees that are
  counted again), is answered with the newest value first and the others as earlier;
- otherwise the reports differ (two authorities count passengers differently on the same
  day, two outlets date a meeting differently): each value is shown with its report.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from retrieval.answering.common.spans import Span, number_values
from retrieval.answering.context import ReadContext
from retrieval.answering.news.asked import Asked
from retrieval.answering.news.corrections import corrects
from retrieval.answering.news.facts import CLASSIFIERS, Report, same_thing

__all__ = ["Group", "Layout", "compare"]

# Words saying a count is the newest of a series, within _CUE_CHARS before it.
_UPDATE = re.compile(r"\b(bertambah|menjadi|naik|kini|terkini|terbaru|hingga|sampai|mencapai|"
                     r"total|rose|risen|climbed|now|so far|reached|stands at|to date|latest|"
                     r"updated|increased)\b", re.I)
_CUE_CHARS = 60
_CURRENCIES = frozenset("""rupiah rp dollar dollars dolar usd euro euros ringgit yen
    yuan""".split())


@dataclass(frozen=True)
class Group:
    """One value and the reports that give it, newest first."""

    reports: tuple[Report, ...]
    corrected: bool = False

    @property
    def newest(self) -> str:
        """The newest report's date-time ("" when none is dated)."""
        return max(r.stamp for r in self.reports)


@dataclass(frozen=True)
class Layout:
    """How the answer is laid out: ``"latest"`` (groups newest first) or ``"conflict"``
    (groups in the order of their best report)."""

    kind: str
    groups: tuple[Group, ...]


def compare(context: ReadContext, asked: Asked, reports: list[Report],
            articles: Sequence[int] = ()) -> Layout | None:
    """The layout of the reports' values, or ``None`` when they agree (a plain answer).
    A value is marked corrected when a later report of it, or a later one of ``articles``
    (the retrieved ones: a correction notice often ends an article about something else),
    says it was wrong."""
    keys: dict[tuple[object, ...], list[Report]] = {}
    for r in reports:
        key = _same_name(r.key, keys)
        # Agreeing with a value found already needs little; another value needs to be
        # likelier, and to measure the same kind of thing.
        likely = r.chance >= context.tuning.report_differ_chance \
            or same_thing(reports[0].span, r.span)
        if key in keys or not keys or (likely and _same_measure(context, reports[0], r)):
            keys.setdefault(key, []).append(r)
    if len(keys) < 2 or not _comparable(context, keys):
        return None
    groups = [Group(tuple(sorted(rs, key=lambda r: r.stamp, reverse=True)),
                    _corrected(context, rs[0], reports, articles)) for rs in keys.values()]
    dated = all(g.newest for g in groups)
    one_per_day = len({g.newest[:10] for g in groups}) == len(groups)
    # A report that gives two of the values itself ("the harbour master counted 64, the
    # police 80") tells of a disagreement, not of a figure that changed.
    changing = asked.latest or any(g.corrected for g in groups) or _replanned(groups) or (
        asked.kind == "number" and reports[0].span.kind == "number" and one_per_day
        and _updated(context, max(groups, key=lambda g: g.newest).reports[0])
        and not _both(context, reports, keys))
    if changing and dated:
        ordered = sorted(groups, key=lambda g: g.newest, reverse=True)
        # A corrected figure is never the current one, however new its report.
        current = next((g for g in ordered if not g.corrected), ordered[0])
        return Layout("latest", (current, *(g for g in ordered if g is not current)))
    return Layout("conflict", tuple(groups))


def _replanned(groups: list[Group]) -> bool:
    """Whether a day one report gives was still ahead of it (a verdict "scheduled for
    Thursday (20/2)" in a report of 6 February) and a later report gives another: the plan
    changed (the verdict was postponed), so the later day is the latest, not a report that
    differs. Two days both past when reported (a meeting dated the 9th by one outlet and the
    10th by another, both writing after it) still differ."""
    def planned(group: Group) -> bool:
        return all(_ahead(r) for r in group.reports)
    return any(planned(g) and any(o.newest > g.newest for o in groups if o is not g)
               for g in groups)


def _ahead(report: Report) -> bool:
    """Whether a report's date lies after the day the report was published."""
    published = report.day.date() if report.day is not None else None
    day = report.span.day if report.span.kind == "date" else None
    if published is None or day is None or day.month is None or day.day is None:
        return False
    try:  # "Kamis (20/2)" writes no year: the report's own
        told = day.date() or dt.date(published.year, day.month, day.day)
    except ValueError:
        return False
    return told > published


def _same_measure(context: ReadContext, first: Report, other: Report) -> bool:
    """Whether two numbers measure the same kind of thing: no unit, or units that are one
    word in either language ("penumpang" = "passengers"), or both only classify people or
    things ("orang", "jiwa"); 18.500 vehicles and 42,6 kilometres are not two reports of
    one figure."""
    if first.span.kind != "number" or other.span.kind != "number":
        return True
    if _money(first.span) or _money(other.span):
        # "Rp 65.000 per kilogram" and "80,000 rupiah" are both prices, whatever unit
        # word follows; a price and a share are not one figure
        return _money(first.span) and _money(other.span)
    a, b = first.span.unit.casefold(), other.span.unit.casefold()
    if not a or not b or a == b or {a, b} <= CLASSIFIERS or a in CLASSIFIERS \
            or b in CLASSIFIERS:
        return True
    lang_a = context.view.article(first.article).lang
    lang_b = context.view.article(other.article).lang
    stems = {t for c in context.concepts(a, lang_a) for t in c.stems}
    return any(c.found_in(stems) for c in context.concepts(b, lang_b))


def _money(span: Span) -> bool:
    """Whether a number is an amount of money: a currency sign before it or a currency
    word as its unit."""
    return bool(span.currency) or span.unit.casefold() in _CURRENCIES


def _same_name(key: tuple[object, ...], keys: dict[tuple[object, ...], list[Report]]
               ) -> tuple[object, ...]:
    """A name's group: one already found whose words hold all of its words, or the other
    way round ("Barrack" and "Tom Barrack" are one name); else its own."""
    if key[0] != "name":
        return key
    words = {w for n in key[1] for w in str(n).split()}  # type: ignore[attr-defined]
    for other in keys:
        if other[0] == "name":
            theirs = {w for n in other[1] for w in str(n).split()}  # type: ignore[attr-defined]
            if words <= theirs or theirs <= words:
                return other
    return key


def _comparable(context: ReadContext, keys: dict[tuple[object, ...], list[Report]]) -> bool:
    """Whether different values really answer alike: numbers and dates always; names only
    when each is a likely answer and all are of one sort (two people, not the envoy and
    the country that sent him: both are right)."""
    reports = [r for rs in keys.values() for r in rs]
    if reports[0].key[0] != "name":
        return True
    return all(r.chance >= context.tuning.short_min_chance for r in reports) and \
        len({r.person for r in reports}) == 1


def _updated(context: ReadContext, report: Report) -> bool:
    """Whether the newest report says its count is an update: a word of change or of "so
    far" shortly before it ("bertambah menjadi 6 orang", "kini berjumlah 8", "has risen to
    13"). Two counts on two days without one (64 passengers on the manifest, 80 by the
    police the next day) are reports that differ, not a count that grew."""
    before = context.view.sentence_text(report.sentence)[:report.span.start][-_CUE_CHARS:]
    return bool(_UPDATE.search(before))


def _both(context: ReadContext, reports: list[Report],
          keys: dict[tuple[object, ...], list[Report]]) -> bool:
    """Whether one report's sentence holds its own value and another report's."""
    for r in reports:
        if r.span.kind != "number":
            continue
        art = context.view.article(r.article)
        held = {v for vs in number_values(context.view.sentence_text(r.sentence), art.lang)
                for v in vs}
        if any(k != r.key and k[1] in held for k in keys):
            return True
    return False


def _corrected(context: ReadContext, report: Report, reports: list[Report],
               articles: Sequence[int]) -> bool:
    """Whether a later article says this report's number was wrong: one of its sentences
    holds a correcting word and the same number."""
    if report.span.kind != "number" or not report.stamp:
        return False
    wanted = report.key[1]
    view = context.view
    agreeing = {r.article for r in reports if r.key == report.key}
    for number in ({r.article for r in reports} | set(articles)) - agreeing:
        art = view.article(number)
        if (art.meta.date or "") <= report.stamp:
            continue
        for j in range(art.sent_lo, art.sent_hi):
            if corrects(view.sentence_text(j), float(wanted), art.lang):  # type: ignore[arg-type]
                return True
    return False
