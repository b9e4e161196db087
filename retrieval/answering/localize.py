"""A short answer in the asker's language: names, numbers and dates.

For an English asker, names go through the alias table (Mesir → Egypt, Amerika Serikat → the
United States, Kairo → Cairo), numbers through English conventions (1.400 → 1,400; 80 ribu →
80,000; 2,5 juta → 2.5 million) and dates are written out in English with what is not known
said plainly. An Indonesian asker gets the article's own words, with relative dates
resolved.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from retrieval.answering.spans import Span
from retrieval.answering.when import format_day

__all__ = ["localize"]

# Names that take "the" in English.
_WITH_THE = frozenset({"united states", "united kingdom", "netherlands", "philippines",
                       "united arab emirates", "vatican", "gaza strip", "west bank",
                       "golan heights", "red cross", "white house", "kremlin",
                       "united nations", "european union", "arab league", "security council",
                       "state department", "pentagon", "hague", "middle east"})
_QUALIFIERS = {"lebih dari": "more than", "kurang dari": "less than", "sedikitnya": "at least",
               "setidaknya": "at least", "sekitar": "about", "hampir": "nearly",
               "sebanyak": "", "mencapai": "up to"}
_SCALES = {"ribu": ("", 1_000), "juta": ("million", 1), "miliar": ("billion", 1),
           "milyar": ("billion", 1), "triliun": ("trillion", 1)}
# Units of counts in the news, singular and plural.
_UNITS = {
    "orang": ("person", "people"), "warga": ("resident", "residents"),
    "korban": ("victim", "victims"), "tentara": ("soldier", "soldiers"),
    "pasukan": ("troop", "troops"), "anak": ("child", "children"),
    "negara": ("country", "countries"), "penumpang": ("passenger", "passengers"),
    "pengungsi": ("refugee", "refugees"), "rumah": ("house", "houses"),
    "tahun": ("year", "years"), "hari": ("day", "days"), "bulan": ("month", "months"),
    "pekan": ("week", "weeks"), "minggu": ("week", "weeks"), "jam": ("hour", "hours"),
    "menit": ("minute", "minutes"), "persen": ("percent", "percent"),
    "kilometer": ("kilometre", "kilometres"), "km": ("km", "km"), "meter": ("metre", "metres"),
    "ton": ("tonne", "tonnes"), "dolar": ("dollar", "dollars"), "rupiah": ("rupiah", "rupiah"),
    "unit": ("unit", "units"), "kali": ("time", "times"), "militan": ("militant", "militants"),
    "pemberontak": ("rebel", "rebels"), "sipil": ("civilian", "civilians"),
    "warga sipil": ("civilian", "civilians"), "delegasi": ("delegation", "delegations"),
}


def localize(span: Span, lang: str, to_english: Callable[[str], str | None]) -> str:
    """``span`` as the asker of language ``lang`` should read it.

    Args:
        span: The short answer found in an article.
        lang: The asker's language.
        to_english: The English name of an Indonesian name (from the alias table), or None.
    """
    if span.kind == "date" and span.day is not None:
        return format_day(span.day, lang) or span.text
    if lang != "en":
        return span.text
    if span.kind in ("name", "list"):
        return _join([_name(part, to_english) for part in span.parts])
    if span.kind == "number":
        return _number(span)
    return span.text


def _name(name: str, to_english: Callable[[str], str | None]) -> str:
    english = to_english(name)
    if english is None:
        return name
    shown = " ".join(w if w.isupper() else w.capitalize() for w in english.split())
    return f"the {shown}" if english.casefold() in _WITH_THE else shown


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _number(span: Span) -> str:
    value = _value(span.parts[0])
    if value is None:
        return span.text
    scale_word, factor = _SCALES.get(span.scale, ("", 1))
    shown = _english_number(value * factor) + (f" {scale_word}" if scale_word else "")
    unit = _UNITS.get(span.unit.casefold())
    if unit is not None:
        shown += f" {unit[0] if value == 1 and not scale_word else unit[1]}"
    qualifier = _QUALIFIERS.get(span.qualifier, span.qualifier)
    return f"{qualifier} {shown}".strip()


def _value(number: str) -> float | None:
    """An Indonesian-written number: dots group thousands, a comma marks decimals."""
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", number) or "," in number:
        number = number.replace(".", "").replace(",", ".")
    try:
        return float(number)
    except ValueError:
        return None


def _english_number(value: float) -> str:
    if value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")
