"""Dates of a claim against the days its cited passages give: day, month, year each checked.

A date the claim writes ("Saturday, 26 July", "23 Februari 2024", "pada Jumat") must be one
day of the passages as a whole: every part the claim gives must be that day's (a wrong day
of the right month is no match). A part the passage leaves open (the year of "Sabtu (26/7)"
in an undated article, the weekday of a bare date) is not held against the claim.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from retrieval.answering.common.when import Day, WhenSpan, find_when

__all__ = ["date_clash", "when_in"]

#: Long texts are read for dates in windows of about this many characters (cut at a space),
#: so the cost stays linear in the text's length; no sentence is that long.
_WINDOW = 2_000
_SPACE = re.compile(r"\s")


def when_in(text: str) -> list[WhenSpan]:
    """The dates of ``text`` (unresolved), in text order."""
    if len(text) <= _WINDOW:
        return find_when(text, None)
    out: list[WhenSpan] = []
    start = 0
    while start < len(text):
        cut = _SPACE.search(text, start + _WINDOW)
        end = cut.start() if cut else len(text)
        out += [WhenSpan(w.start + start, w.end + start, w.text, w.day)
                for w in find_when(text[start:end], None)]
        start = end + 1
    return out


def date_clash(dates: Iterable[WhenSpan], days: Sequence[Day]) -> str:
    """"date" when one of a claim's ``dates`` (:func:`when_in`) is none of ``days``, else
    ""."""
    for when in dates:
        if not any(_same(when.day, day) for day in days):
            return "date"
    return ""


def _same(claimed: Day, day: Day) -> bool:
    if claimed.day is not None and claimed.day != day.day:
        return False
    if claimed.month is not None and claimed.month != day.month:
        return False
    if claimed.year is not None and day.year is not None and claimed.year != day.year:
        return False
    if claimed.year is not None and day.year is None and claimed.month is None:
        return False  # a bare year is a year the passage gives
    weekday = day.weekday
    date = day.date()
    if weekday is None and date is not None:
        weekday = date.weekday()
    return claimed.weekday is None or weekday is None or claimed.weekday == weekday
