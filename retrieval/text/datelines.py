"""Datelines and openings of news articles: "Paris, MINA – ...", "Jakarta (ANTARA) - ...".

Reading uses :func:`dateline` to find the place and outlet an article opens with; the store
uses :func:`opening_excerpt` to name an article that has no headline. Pure functions of text.
"""

from __future__ import annotations

import re

__all__ = ["dateline", "opening_excerpt"]

_PLACE = r"[A-Z][A-Za-z’'.]*(?:\s+[A-Z][A-Za-z’'.]*){0,2}"
_OUTLET_TOKEN = r"[\w.’'&]+(?:-[\w.’'&]+)*"
# Datelines opening the first paragraph, most specific first:
_DOMAIN = r"[\w-]+(?:\.[\w-]+)*\.(?:com|co\.id|id|net|org|tv|news|COM|CO\.ID|ID|NET)"
_DATELINES: tuple[re.Pattern[str], ...] = (
    # "TRIBUNNEWS.COM, LEMBO - ...", "Detakpos.com, Sabtu (5/7/2025) – ...": the outlet's
    # domain first, then the place (or the day, which is no place).
    re.compile(
        rf"(?P<outlet>{_DOMAIN})\s*,\s*(?:(?P<place>{_PLACE})|[A-Z][a-z’']+\s*\([\d/]+\))"
        r"\s*(?:\||–|—|--?)\s*"
    ),
    # "Paris, MINA – ...", "Moskow, Jelasberita.com| ...", "JAKARTA, KOMPAS.com - ..."
    re.compile(
        rf"(?P<place>{_PLACE})\s*,\s*(?P<outlet>{_OUTLET_TOKEN}(?:\s+{_OUTLET_TOKEN}){{0,2}}?)"
        r"\s*(?:\||–|—|--?)\s*"
    ),
    # "Jakarta (ANTARA) - ...", "LEMBO, Indonesia (Jakarta Globe) - ..."
    re.compile(rf"(?P<place>{_PLACE})(?:\s*,\s*{_PLACE})?\s*\((?P<outlet>[^()]{{2,40}})\)"
               r"\s*(?:\||–|—|--?)\s*"),
    # "DAMASKUS - ..." — upper case only, so that a sentence opening "Israel - ..." is
    # not taken for a dateline.
    re.compile(r"(?P<place>[A-Z][A-Z’'.]{2,}(?:\s+[A-Z][A-Z’'.]+){0,2})\s*,?\s*(?:\||–|—|--?)\s+"),
    # "Paris: Pembicaraan ..."
    re.compile(rf"(?P<place>{_PLACE})\s*:\s+(?=[\"“A-Z])"),
)
# An outlet in a dateline is a domain or has an all-caps name (MINA, CNN, KOMPAS.com);
# this keeps "Jakarta, Indonesia - ..." from naming "Indonesia" as the outlet.
_NAME = re.compile(r"[A-Z][\w.’'&-]*(?:\s+[A-Z][\w.’'&-]*){0,3}")
_OUTLET_SHAPE = re.compile(r"\.(?:com|co\.id|id|net|org|tv|news)\b|\b[A-Z]{2,}\b")


def dateline(paragraph: str) -> re.Match[str] | None:
    """The dateline opening ``paragraph`` ("Paris, MINA – "), with its ``place`` and, when it
    names one, ``outlet`` groups (``place`` is ``None`` when the outlet is followed by a
    day, "Detakpos.com, Sabtu (5/7/2025) – "); ``None`` when it opens with none."""
    for pattern in _DATELINES:
        m = pattern.match(paragraph)
        if m is None:
            continue
        outlet = m.groupdict().get("outlet")
        # In brackets after a place ("Lembo (Jakarta Globe) - ") a capitalised name is the
        # outlet; after a comma it must look like one ("Jakarta, Indonesia - " names none).
        bracketed = pattern is _DATELINES[2] and _NAME.fullmatch(outlet or "")
        if outlet is not None and not bracketed and not _OUTLET_SHAPE.search(outlet):
            continue
        return m
    return None


def opening_excerpt(body: str, max_chars: int = 70) -> str:
    """A short opening of an article, to name one that has no headline.

    The dateline ("Paris, MINA – ") is left out; the excerpt ends at a word boundary with
    "…" when the first sentence is longer than ``max_chars``.
    """
    first = body.split("\n\n", 1)[0]
    opening = dateline(first)
    if opening is not None:
        first = first[opening.end():]
    first = first.strip()
    if len(first) <= max_chars:
        return first
    cut = first.rfind(" ", 0, max_chars)
    return first[: cut if cut > 0 else max_chars].rstrip(" ,;:–-") + "…"
