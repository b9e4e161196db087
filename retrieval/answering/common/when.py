"""Dates in answers: found in a sentence, resolved against the article's date, written out.

Indonesian news dates events relative to the day of publication: "Jumat lalu" (last
Friday), "Sabtu (26/7)" (Saturday the 26th of July, year left out), "kemarin". When the
article's own date is known, such a date is resolved to a calendar day ("Jumat lalu" in an
article of Saturday 24 February 2024 is Friday 23 February 2024); when the year is not known
the answer says so instead of guessing.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

__all__ = ["Day", "WhenSpan", "article_day", "describe_date", "find_when", "format_day"]

_WEEKDAYS = {
    "senin": 0, "selasa": 1, "rabu": 2, "kamis": 3, "jumat": 4, "jum'at": 4, "jum’at": 4,
    "sabtu": 5, "minggu": 6, "ahad": 6, "monday": 0, "tuesday": 1, "wednesday": 2,
    "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}  # fmt: skip
_MONTHS = {
    "januari": 1, "january": 1, "jan": 1, "februari": 2, "february": 2, "feb": 2,
    "pebruari": 2, "maret": 3, "march": 3, "mar": 3, "april": 4, "apr": 4, "mei": 5,
    "may": 5, "juni": 6, "june": 6, "jun": 6, "juli": 7, "july": 7, "jul": 7, "agustus": 8,
    "august": 8, "aug": 8, "agu": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10,
    "october": 10, "okt": 10, "oct": 10, "november": 11, "nov": 11, "nopember": 11,
    "desember": 12, "december": 12, "des": 12, "dec": 12,
}  # fmt: skip
_NAMES = {
    "en": (("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
           ("January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December")),
    "id": (("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
           ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
            "September", "Oktober", "November", "Desember")),
}
_NO_YEAR = {"en": "year not stated", "id": "tahun tidak disebutkan"}
_NO_DATE = {"en": "the article gives no date", "id": "artikel tidak menyebut tanggal"}
_LAST = {"en": "last {}", "id": "{} lalu"}

_WD = r"(?:senin|selasa|rabu|kamis|jum['’]?at|sabtu|minggu|ahad|monday|tuesday|wednesday|" \
      r"thursday|friday|saturday|sunday)"
_MON = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + ")"
_PART = r"(?P<part>awal|pertengahan|akhir|penghujung|early|mid-?|late|the (?:beginning|middle|" \
        r"end) of)"
_PARTS = {"awal": "early", "early": "early", "the beginning of": "early", "pertengahan": "mid",
          "mid": "mid", "mid-": "mid", "the middle of": "mid", "akhir": "end",
          "penghujung": "end", "late": "end", "the end of": "end"}
_PART_NAMES = {"en": {"early": "early {}", "mid": "mid-{}", "end": "the end of {}"},
               "id": {"early": "awal {}", "mid": "pertengahan {}", "end": "akhir {}"}}
_THIS_YEAR = {"en": "this year", "id": "tahun ini"}
_YEAR_SHIFT = {"ini": 0, "this": 0, "depan": 1, "next": 1, "lalu": -1, "last": -1}
_PATTERNS = (
    # "pertengahan November", "akhir tahun ini", "the end of the year", "mid-March 2011"
    ("part", re.compile(rf"\b{_PART}\s*(?:(?:bulan\s+)?(?P<mon>{_MON})(?:\s+(?P<y>\d{{4}}))?\b|"
                        rf"(?:tahun|(?:this|the|next|last)\s+year)(?:\s+(?P<rel>ini|depan|lalu)"
                        rf")?\b)", re.I)),
    # "Sabtu (26/7)", "Rabu (8/2/2017)"
    ("weekday_dm", re.compile(rf"\b(?P<wd>{_WD}),?\s*\((?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})"
                              rf"(?:/(?P<y>\d{{2,4}}))?\)", re.I)),
    # "Sabtu, 24 Februari 2024", "18 Desember", "jumat, 18 Desember"
    ("d_month_y", re.compile(rf"\b(?:(?P<wd>{_WD}),?\s+)?(?P<d>\d{{1,2}})\s+(?P<mon>{_MON})\b"
                             rf"\.?(?:,?\s+(?P<y>\d{{4}}))?", re.I)),
    # "February 24, 2024", "July 26", "Feb. 26" (news agencies abbreviate with a dot)
    ("month_d_y", re.compile(rf"\b(?:(?P<wd>{_WD}),?\s+)?(?P<mon>{_MON})\.?\s+(?P<d>\d{{1,2}})"
                             rf"(?:,?\s+(?P<y>\d{{4}}))?\b", re.I)),
    # "Maret 2011", "March 2011"
    ("month_y", re.compile(rf"\b(?P<mon>{_MON})\s+(?P<y>(?:19|20)\d{{2}})\b", re.I)),
    # "pada bulan Oktober", "in October": a month alone, after a word that makes it a date
    # (full names only: "may", "mar" are ordinary words)
    ("month", re.compile(r"(?:" + "|".join(f"(?<={w} )" for w in (
        "bulan", "pada", "in", "sejak", "since", "hingga", "until", "during", "selama",
        "Bulan", "Pada", "In", "Sejak", "Since", "Hingga", "Until", "During", "Selama"))
        + r")(?P<mon>" + "|".join(m for m in _MONTHS if len(m) > 3 and m not in ("mei", "may"))
        + r")\b", re.I)),
    # "Jumat lalu", "last Friday", "Selasa kemarin"
    ("last_weekday", re.compile(rf"\b(?:last\s+(?P<wd1>{_WD})|(?P<wd2>{_WD})\s+"
                                rf"(?:lalu|kemarin|silam))\b", re.I)),
    # "kemarin", "hari ini", "besok", "yesterday", "today", "tomorrow"
    ("relative", re.compile(r"\b(?P<rel>kemarin|hari ini|besok|yesterday|today|tomorrow)\b",
                            re.I)),
    # "pada Senin", "on Monday": a weekday of the week of publication
    ("weekday", re.compile(rf"\b(?P<wd>{_WD})\b", re.I)),
    # "sejak 2011", "tahun 2005"
    ("year", re.compile(r"\b(?P<y>(?:19|20)\d{2})\b")),
)
_RELATIVE_DAYS = {"kemarin": -1, "yesterday": -1, "hari ini": 0, "today": 0, "besok": 1,
                  "tomorrow": 1}


@dataclass(frozen=True)
class Day:
    """A day as far as it is known: any part may be missing."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    weekday: int | None = None  # 0 = Monday
    relative_to_unknown: bool = False  # "Selasa lalu" in an undated article
    part: str | None = None  # "early", "mid" or "end" of the month (or year) given

    def date(self) -> dt.date | None:
        """The calendar day, when year, month and day are all known."""
        if self.year and self.month and self.day:
            try:
                return dt.date(self.year, self.month, self.day)
            except ValueError:
                return None
        return None


@dataclass(frozen=True)
class WhenSpan:
    """A date expression in a sentence and what it resolves to."""

    start: int
    end: int
    text: str
    day: Day


def article_day(date_iso: str | None, date_text: str | None) -> Day | None:
    """The publication day of an article from its metadata (ISO date, or as written)."""
    if date_iso:
        try:
            day = dt.date.fromisoformat(date_iso[:10])
        except ValueError:
            day = None
        if day is not None:
            return Day(day.year, day.month, day.day, day.weekday())
    if date_text:
        spans = find_when(date_text, None)
        if spans:
            return spans[0].day
    return None


def find_when(sentence: str, published: Day | None) -> list[WhenSpan]:
    """Date expressions in ``sentence``, resolved against the article's day when possible.

    Longer expressions win over the parts they contain; results are in text order.
    """
    taken: list[tuple[int, int]] = []
    found: list[WhenSpan] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(sentence):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            day = _resolve(kind, m, published)
            if day is None:
                continue
            taken.append((m.start(), m.end()))
            found.append(WhenSpan(m.start(), m.end(), m.group(0), day))
    return sorted(found, key=lambda w: w.start)


def _resolve(kind: str, m: re.Match[str], published: Day | None) -> Day | None:
    groups = {k: v for k, v in m.groupdict().items() if v}
    weekday = _WEEKDAYS.get((groups.get("wd") or groups.get("wd1") or groups.get("wd2") or
                             "").casefold().replace("’", "'"))
    if kind == "year":
        return Day(year=int(groups["y"]))
    if kind == "part":
        return _part(m, groups, published)
    if kind in ("last_weekday", "weekday"):
        return _weekday_before(weekday, published, strictly=kind == "last_weekday")
    if kind == "relative":
        return _shift(published, _RELATIVE_DAYS[groups["rel"].casefold()])
    month = int(groups["m"]) if "m" in groups else _MONTHS.get(groups.get("mon", "").casefold())
    day = int(groups["d"]) if "d" in groups else None
    if month is None or not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    year = int(groups["y"]) if "y" in groups else None
    if year is not None and year < 100:
        year += 2000
    stated = year is not None
    if year is None and day is not None and published is not None and published.year:
        # A day without a year is in the year of publication, or the one before when it
        # would otherwise lie after the publication.
        year = published.year - (1 if (month, day) > (published.month or 12,
                                                      published.day or 31) else 0)
    date = Day(year, month, day, weekday).date()
    if date is None:
        return Day(year, month, day, weekday)
    if not stated and weekday is not None and date.weekday() != weekday:
        return Day(None, month, day, weekday)  # the stated weekday says the guess is wrong
    return Day(year, month, day, date.weekday())


def _part(m: re.Match[str], groups: dict[str, str], published: Day | None) -> Day:
    """A part of a month or a year ("pertengahan November", "akhir tahun ini")."""
    part = _PARTS[" ".join(groups["part"].casefold().split())]
    if "mon" in groups:
        year = int(groups["y"]) if "y" in groups else None
        return Day(year, _MONTHS[groups["mon"].casefold()], part=part)
    words = m.group(0).casefold().split()
    shift = next((_YEAR_SHIFT[w] for w in words if w in _YEAR_SHIFT), 0)
    year = published.year + shift if published is not None and published.year else None
    return Day(year, part=part, relative_to_unknown=year is None and shift == 0)


def _weekday_before(weekday: int | None, published: Day | None, strictly: bool) -> Day | None:
    if weekday is None:
        return None
    date = published.date() if published is not None else None
    if date is None:
        return Day(weekday=weekday, relative_to_unknown=strictly)
    back = (date.weekday() - weekday) % 7
    if strictly and back == 0:
        back = 7
    found = date - dt.timedelta(days=back)
    return Day(found.year, found.month, found.day, found.weekday())


def _shift(published: Day | None, days: int) -> Day | None:
    date = published.date() if published is not None else None
    if date is None:
        return None
    found = date + dt.timedelta(days=days)
    return Day(found.year, found.month, found.day, found.weekday())


def format_day(day: Day, lang: str) -> str:
    """A day written out in ``lang`` ("en" or "id"), saying what is not known."""
    lang = lang if lang in _NAMES else "en"
    weekdays, months = _NAMES[lang]
    if day.part is not None:
        if day.month is not None:
            whole = months[day.month - 1] + (f" {day.year}" if day.year else "")
        else:
            whole = str(day.year) if day.year else _THIS_YEAR[lang]
            whole = f"tahun {day.year}" if lang == "id" and day.year else whole
        return _PART_NAMES[lang][day.part].format(whole)
    parts: list[str] = []
    if day.weekday is not None:
        parts.append(weekdays[day.weekday])
    if day.day is not None and day.month is not None:
        parts.append(f"{day.day} {months[day.month - 1]}")
    elif day.month is not None:
        parts.append(months[day.month - 1])
    if day.year is not None:
        parts.append(str(day.year))
    if not parts:
        return ""
    if day.month is None and day.weekday is not None:  # a weekday only
        shown = weekdays[day.weekday]
        shown = _LAST[lang].format(shown) if day.relative_to_unknown else shown
        return f"{shown} ({_NO_DATE[lang]})"
    sep = ", " if lang == "id" and day.weekday is not None else " "
    text = parts[0] + (sep + " ".join(parts[1:]) if len(parts) > 1 else "")
    if day.year is None and day.day is not None:
        text += f" ({_NO_YEAR[lang]})"
    return text


def describe_date(value: str | None, lang: str) -> str:
    """An article's date as stored (ISO, or as written, "Sabtu (26/7)") written out in
    ``lang``, with its time when it has one; "" for none."""
    if not value:
        return ""
    iso = value if value[:4].isdigit() and "-" in value[:8] else None
    day = article_day(iso, None if iso else value)
    if day is None:
        return value
    shown = format_day(day, lang)
    if iso and len(iso) >= 16 and iso[10] == "T":
        shown += f" {iso[11:16]}"
    return shown
