"""Dates as Indonesian and English news write them, found in text.

Full dates ("Sabtu, 24 Februari 2024 20:35", "February 24, 2024", "24/02/2024", ISO) become
ISO 8601; a partial one ("Sabtu (26/7)", the Indonesian convention for the day of an event)
is kept as written. Used by cleaning (bylines and date lines) and metadata.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

__all__ = ["FULL_DATE", "DateHit", "find_date"]

# ---------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------

# English and Indonesian month names and the abbreviations outlets use, including old
# Indonesian spellings ("Pebruari", "Nopember") that still appear in archives.
_MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "januari": 1,
    "february": 2, "feb": 2, "februari": 2, "pebruari": 2, "peb": 2,
    "march": 3, "mar": 3, "maret": 3,
    "april": 4, "apr": 4,
    "may": 5, "mei": 5,
    "june": 6, "jun": 6, "juni": 6,
    "july": 7, "jul": 7, "juli": 7,
    "august": 8, "aug": 8, "agustus": 8, "agu": 8, "agt": 8, "agst": 8, "ags": 8,
    "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "oktober": 10, "okt": 10,
    "november": 11, "nov": 11, "nopember": 11, "nop": 11,
    "december": 12, "dec": 12, "desember": 12, "des": 12,
}  # fmt: skip
# Longest first so that "Juni" is not read as "Jun" followed by "i".
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b"
_WEEKDAY = (
    r"(?:senin|selasa|rabu|kamis|jum['’]?at|sabtu|minggu|ahad|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\b"
)
# An optional clock time after a date: "20:35", ", pukul 20.35 WIB". (?!\d) keeps
# "20.000 orang" from being read as 20:00.
_TIME = (
    r"(?:(?:,\s*|\s+)(?:(?:pukul|pkl\.?|jam|at)\s+)?(?P<hh>\d{1,2})[:.](?P<mm>\d{2})(?!\d)"
    r"(?::\d{2})?(?:\s*(?:WIB|WITA|WIT|UTC|GMT))?)?"
)
_WD_PREFIX = rf"(?:{_WEEKDAY},?\s+)?"

# Each date pattern is a *core* starting at a digit or "(" (so that scanning a
# paragraph is fast) plus a *before* pattern matched against the text just ahead of
# it: an optional weekday ("Sabtu, 24 Februari 2024"), the month of an American date
# ("February 24, 2024"), or the weekday a partial date needs ("Sabtu (26/7)").
# Together they yield the named groups d, m or mon, and optionally y, hh, mm.
_OPTIONAL_WEEKDAY_BEFORE = re.compile(rf"(?<!\w){_WEEKDAY},?\s+$", re.I)
_MONTH_BEFORE = re.compile(rf"(?<!\w)(?:{_WEEKDAY},?\s+)?(?P<mon>{_MONTH})\.?\s+$", re.I)
_WEEKDAY_BEFORE = re.compile(rf"(?<!\w){_WEEKDAY}\s*$", re.I)
_LOOKBACK = 40  # characters searched for the "before" part


@dataclass(frozen=True)
class _DatePattern:
    core: re.Pattern[str]
    before: re.Pattern[str] | None = None
    before_required: bool = False


_DATE_PATTERNS: tuple[_DatePattern, ...] = (
    # "24 February 2024 20:35", "Sabtu, 24 Februari 2024"
    _DatePattern(
        re.compile(
            rf"(?<![\w/.-])(?P<d>\d{{1,2}})\s+(?P<mon>{_MONTH})\.?,?\s+(?P<y>\d{{4}})(?!\d)"
            + _TIME,
            re.I,
        ),
        _OPTIONAL_WEEKDAY_BEFORE,
    ),
    # "February 24, 2024" (American order): the month comes from the "before" part.
    _DatePattern(
        re.compile(r"(?<![\w/.-])(?P<d>\d{1,2}),?\s+(?P<y>\d{4})(?!\d)" + _TIME, re.I),
        _MONTH_BEFORE,
        before_required=True,
    ),
    # "24/02/2024", "24-02-2024" (Indonesian outlets write day first)
    _DatePattern(
        re.compile(
            r"(?<![\w/.-])(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})(?![\d/])" + _TIME,
            re.I,
        ),
        _OPTIONAL_WEEKDAY_BEFORE,
    ),
    # "2024-02-24", "2024-02-24T20:35"
    _DatePattern(
        re.compile(
            r"(?<![\w/.-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
            r"(?:[T ](?P<hh>\d{2}):(?P<mm>\d{2}))?(?!\d)"
        ),
    ),
    # "Sabtu (26/7)" — the Indonesian news convention for the day of the event; the
    # year is usually left out, so this is kept as text unless it is given.
    _DatePattern(
        re.compile(r"\((?P<d>\d{1,2})/(?P<m>\d{1,2})(?:/(?P<y>\d{2}|\d{4}))?\)"),
        _WEEKDAY_BEFORE,
        before_required=True,
    ),
)


@dataclass(frozen=True)
class DateHit:
    """A date found in text: where, as written, and ISO 8601 when fully stated."""

    start: int
    text: str
    iso: str | None


def _date_from_groups(groups: dict[str, str | None], start: int, text: str) -> DateHit | None:
    """Turn a date's parts into a hit; None when the numbers are not a real date."""
    mon, m = groups.get("mon"), groups.get("m")
    month = _MONTHS[mon.lower()] if mon else int(m or 0)
    day = int(groups.get("d") or 0)
    year_text = groups.get("y")
    if year_text is None:
        # A partial date still has to name a possible day of a possible month.
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        return DateHit(start, text, None)
    year = int(year_text)
    if year < 100:
        year += 2000
    try:
        datetime(year, month, day)
    except ValueError:
        return None
    iso = f"{year:04d}-{month:02d}-{day:02d}"
    hh, mm = groups.get("hh"), groups.get("mm")
    if hh is not None and mm is not None and int(hh) < 24 and int(mm) < 60:
        iso += f"T{int(hh):02d}:{int(mm):02d}"
    return DateHit(start, text, iso)


def _first_hit(pattern: _DatePattern, text: str) -> DateHit | None:
    for m in pattern.core.finditer(text):
        groups = m.groupdict()
        start = m.start()
        if pattern.before is not None:
            window_start = max(0, start - _LOOKBACK)
            before = pattern.before.search(text, window_start, start)
            if before is None and pattern.before_required:
                continue
            if before is not None:
                groups.update({k: v for k, v in before.groupdict().items() if v is not None})
                start = before.start()
        hit = _date_from_groups(groups, start, text[start : m.end()].strip(" ,"))
        if hit is not None:
            return hit
    return None


def find_date(text: str) -> DateHit | None:
    """Return the first (leftmost, then longest) date-like mention in ``text``."""
    best: DateHit | None = None
    for pattern in _DATE_PATTERNS:
        hit = _first_hit(pattern, text)
        if hit is not None and (
            best is None
            or hit.start < best.start
            or (hit.start == best.start and len(hit.text) > len(best.text))
        ):
            best = hit
    return best


def _date_pattern_source() -> str:
    """A regex (no named groups) matching any of the full dates, for line rules."""
    day_mon_year = rf"{_WD_PREFIX}\d{{1,2}}\s+{_MONTH}\.?,?\s+\d{{4}}"
    mon_day_year = rf"{_WD_PREFIX}{_MONTH}\.?\s+\d{{1,2}},?\s+\d{{4}}"
    numeric = rf"{_WD_PREFIX}\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{4}}"
    iso = r"\d{4}-\d{2}-\d{2}"
    time = _TIME.replace("?P<hh>", "").replace("?P<mm>", "")
    return rf"(?:{day_mon_year}|{mon_day_year}|{numeric}|{iso}){time}"


FULL_DATE = _date_pattern_source()
