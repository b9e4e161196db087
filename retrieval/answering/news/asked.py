"""What a question asks of reports that change: the latest figure, a timeline, a time.

"Berapa korban sampai saat ini?" asks for the newest figure; "Kronologi banjir Sukamaju" and
"What happened in Lembo?" for the sequence of events; "in March 2025", "last week", "minggu
lalu", "kemarin" restrict the answer to reports of that time. These are the forms of the
question, in both languages, not words of any story; relative times are read against the
newest article in the index (a news folder's "now").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from retrieval.answering.common.when import Day, find_when
from retrieval.answering.extractive.kinds import Kind, question_kind

__all__ = ["Asked", "Period", "read_asked"]

_LATEST = re.compile(
    r"\b(now|so far|to date|latest|current(?:ly)?|most recent|as of (?:today|now)|up to now|"
    r"these days|at present|at the moment|belakangan ini|dewasa ini|"
    r"sekarang|terbaru|terkini|terakhir|sampai (?:saat ini|sekarang|kini)|hingga (?:kini|"
    r"saat ini|sekarang)|sejauh ini|saat ini|kini)\b", re.I)
_TIMELINE = re.compile(
    r"\b(what happened|what has happened|how did .{1,60} (?:unfold|happen|develop|go|"
    r"progress|evolve|change|proceed)|how has .{1,60} (?:unfolded|developed|progressed|"
    r"evolved|changed)|timeline|chronology|sequence of events|step by step|day by day|"
    r"kronologi|kronologis|apa yang terjadi|apa saja yang terjadi|bagaimana (?:perkembangan|"
    r"kejadian|peristiwa|jalannya|perjalanan|proses)|perkembangan|sejauh ini|"
    r"rangkaian peristiwa|tahap demi tahap|hari demi hari|dari awal hingga)\b", re.I)
# Periods written relative to "now": (amount of days back to the start, days in the period).
_RELATIVE = (
    (re.compile(r"\b(last week|minggu lalu|pekan lalu|seminggu terakhir|the past week|"
                r"sepekan terakhir)\b", re.I), 7),
    (re.compile(r"\b(this week|minggu ini|pekan ini)\b", re.I), 0),
    (re.compile(r"\b(last month|bulan lalu|sebulan terakhir|the past month)\b", re.I), 31),
)

_RELATIVE_DAY = re.compile(r"\b(kemarin|yesterday|hari ini|today)\b", re.I)


@dataclass(frozen=True)
class Period:
    """A stretch of days a question restricts the reports to (both ends included); a part
    left ``None`` is open (a month of no stated year matches that month of any year)."""

    start: dt.date | None
    end: dt.date | None
    month: int | None = None  # "in July": that month, any year

    def holds(self, day: Day | None) -> bool | None:
        """Whether ``day`` falls in the period; ``None`` when the day is not known well
        enough to say (an undated report is never excluded)."""
        if day is None:
            return None
        if self.month is not None:
            return None if day.month is None else day.month == self.month
        if self.start is None or self.end is None:
            return None
        date = day.date()
        if date is None and day.year and day.month and day.day is None and day.part is None:
            # "inflasi Februari 2025" tells of the whole month: it holds when the month
            # and the period overlap
            first = dt.date(day.year, day.month, 1)
            last = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
            return first <= self.end and self.start < last
        if date is None:
            return None
        return self.start <= date <= self.end


@dataclass(frozen=True)
class Asked:
    """The question's shape: its factoid kind, and what it asks of changing reports."""

    kind: Kind | None
    latest: bool
    timeline: bool
    period: Period | None


def read_asked(question: str, newest: Day | None) -> Asked:
    """How ``question`` asks about reports; ``newest`` is the newest article's day (the
    index's "now", for "last week" and "kemarin")."""
    kind = question_kind(question)
    # "Berapa korban sejauh ini?" asks a figure; "Apa yang terjadi sejauh ini?" the events.
    timeline = kind is None and bool(_TIMELINE.search(question))
    latest = bool(_LATEST.search(question)) and not timeline
    return Asked(kind, latest, timeline, _period(question, newest))


def _period(question: str, newest: Day | None) -> Period | None:
    today = newest.date() if newest is not None else None
    for pattern, back in _RELATIVE:
        if pattern.search(question) and today is not None:
            if back == 0:  # this week: from its Monday
                return Period(today - dt.timedelta(days=today.weekday()), today)
            return Period(today - dt.timedelta(days=back), today)
    for when in find_when(question, newest):
        day = when.day
        if day.part is not None or day.month is None:
            continue  # a year alone ("pada tahun 2011") or "early March": too loose
        if not any(ch.isdigit() for ch in when.text) and day.day is not None \
                and not _RELATIVE_DAY.search(when.text):
            continue  # a weekday alone ("on Tuesday") is the story's, not the index's
        if day.day is None:
            if day.year is None:
                return Period(None, None, month=day.month)
            last = (dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
                    - dt.timedelta(days=1))
            return Period(dt.date(day.year, day.month, 1), last)
        date = day.date()
        if date is not None:
            return Period(date, date)
    return None
