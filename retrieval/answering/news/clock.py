"""Times of day as reports write them: "sekitar pukul 03.00 WIT", "jam 9 pagi", "around
3 a.m.", "at 4:12 a.m." — read as minutes after midnight, so that differently written times
compare ("pukul 19.00" = "pukul 7 malam")."""

from __future__ import annotations

import re

from retrieval.answering.common.spans import Span

__all__ = ["times_in"]

_TIME = re.compile(
    r"(?:(?P<about>sekitar|kira-kira|around|about|approximately)\s+)?"
    r"(?:(?:pukul|jam|at)\s+)?\b(?P<h>2[0-3]|[01]?\d)(?:[.:](?P<m>[0-5]\d))?"
    r"(?:\s*(?P<ampm>a\.?m\.?|p\.?m\.?))?(?:\s*(?P<tz>WIB|WITA|WIT|local time))?"
    r"(?:\s+(?P<part>dini hari|pagi|siang|sore|malam))?", re.I)


def times_in(sentence: str) -> list[tuple[Span, int]]:
    """The times of day in ``sentence``, each with its minutes after midnight. A bare number
    counts only with "pukul"/"jam", minutes, a.m./p.m. or a time zone after it."""
    out = []
    for m in _TIME.finditer(sentence):
        text = m.group(0)
        cued = re.match(r"(?:\w+\s+)?(?:pukul|jam)\b", text, re.I) or m.group("m") \
            or m.group("ampm") or m.group("tz")
        if not cued or (m.start() > 0 and sentence[m.start() - 1] in "/(-"):
            continue
        hour, minute = int(m.group("h")), int(m.group("m") or 0)
        ampm, part = (m.group("ampm") or "").casefold(), (m.group("part") or "").casefold()
        if (ampm.startswith("p") or part in ("sore", "malam")) and hour < 12:
            hour += 12
        span = Span(m.start(), m.end(), text.strip(), (text.strip(),), "time")
        out.append((span, hour * 60 + minute))
    return out
