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
_DATELINES: tuple[re.Pattern[str], ...] = (
    # "Paris, MINA – ...", "Moskow, Jelasberita.com| ...", "JAKARTA, KOMPAS.com - ..."
    re.compile(
        rf"(?P<place>{_PLACE})\s*,\s*(?P<outlet>{_OUTLET_TOKEN}(?:\s+{_OUTLET_TOKEN}){{0,2}}?)"
        r"\s*(?:\||–|—|--?)\s*"
    ),
    # "Jakarta (ANTARA) - ..."
    re.compile(rf"(?P<place>{_PLACE})\s*\((?P<outlet>[^()]{{2,40}})\)\s*(?:\||–|—|--?)\s*"),
    # "DAMASKUS - ..." — upper case only, so that a sentence opening "Israel - ..." is
    # not taken for a dateline.
    re.compile(r"(?P<place>[A-Z][A-Z’'.]{2,}(?:\s+[A-Z][A-Z’'.]+){0,2})\s*,?\s*(?:\||–|—|--?)\s+"),
    # "Paris: Pembicaraan ..."
    re.compile(rf"(?P<place>{_PLACE})\s*:\s+(?=[\"“A-Z])"),
)
# An outlet in a dateline is a domain or has an all-caps name (MINA, CNN, KOMPAS.com);
# this keeps "Jakarta, Indonesia - ..." from naming "Indonesia" as the outlet.
_OUTLET_SHAPE = re.compile(r"\.(?:com|co\.id|id|net|org|tv|news)\b|\b[A-Z]{2,}\b")


def dateline(paragraph: str) -> re.Match[str] | None:
    """The dateline opening ``paragraph`` ("Paris, MINA – "), with its ``place`` and, when it
    names one, ``outlet`` groups; ``None`` when it opens with none."""
    for pattern in _DATELINES:
        m = pattern.match(paragraph)
        if m is None:
            continue
        outlet = m.groupdict().get("outlet")
        if outlet is not None and not _OUTLET_SHAPE.search(outlet):
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
