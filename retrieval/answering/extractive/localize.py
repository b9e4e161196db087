"""A short answer in the asker's language: names, numbers and dates.

For an English asker, names go through the alias table (Mesir → Egypt, Amerika Serikat → the
United States, Kairo → Cairo), numbers through English conventions (1.400 → 1,400; 80 ribu →
80,000; 2,5 juta → 2.5 million) and dates are written out in English with what is not known
said plainly. An Indonesian asker gets the article's own words, with relative dates
resolved (a date written with digits stays as the article writes it), and a number from an
English text in Indonesian conventions ($7,500 → $7.500;
more than 1,250 passengers → lebih dari 1.250 penumpang; 2.5 million → 2,5 juta).
"""

from __future__ import annotations

from collections.abc import Callable

from retrieval.answering.common.numbers import read_digits, write_number
from retrieval.answering.common.spans import Span
from retrieval.answering.common.when import format_day

__all__ = ["localize"]

# Names that take "the" in English.
_WITH_THE = frozenset({"united states", "united kingdom", "netherlands", "philippines",
                       "united arab emirates", "vatican", "gaza strip", "west bank",
                       "golan heights", "red cross", "white house", "kremlin",
                       "united nations", "european union", "arab league", "security council",
                       "state department", "pentagon", "hague", "middle east"})
_QUALIFIERS = {"lebih dari": "more than", "kurang dari": "less than", "sedikitnya": "at least",
               "setidaknya": "at least", "sekitar": "about", "hampir": "nearly",
               "sebanyak": "", "mencapai": "up to", "antara": "between"}
_INDONESIAN_QUALIFIERS = {"more than": "lebih dari", "over": "lebih dari",
                          "less than": "kurang dari", "at least": "sedikitnya",
                          "about": "sekitar", "around": "sekitar", "nearly": "hampir",
                          "almost": "hampir", "between": "antara"}
# Scale words written in each language: (the word, what the number is multiplied by).
_SCALES = {
    "en": {"ribu": ("", 1_000), "juta": ("million", 1), "miliar": ("billion", 1),
           "milyar": ("billion", 1), "triliun": ("trillion", 1), "thousand": ("", 1_000),
           "million": ("million", 1), "billion": ("billion", 1), "trillion": ("trillion", 1)},
    "id": {"thousand": ("ribu", 1), "million": ("juta", 1), "billion": ("miliar", 1),
           "trillion": ("triliun", 1), "ribu": ("ribu", 1), "juta": ("juta", 1),
           "miliar": ("miliar", 1), "milyar": ("miliar", 1), "triliun": ("triliun", 1)},
}
_RANGE_AND = {"en": "and", "id": "dan"}
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
_ENGLISH_UNITS = frozenset(w for forms in _UNITS.values() for w in forms)
# The Indonesian unit of an English one ("passengers" → "penumpang"); for a unit written the
# same in both ("unit", "km"), the word itself.
_INDONESIAN_UNITS = {w: unit for unit, forms in reversed(_UNITS.items()) for w in forms
                     if " " not in unit}


def localize(span: Span, lang: str, to_english: Callable[[str], str | None]) -> str:
    """``span`` as the asker of language ``lang`` should read it.

    Args:
        span: The short answer found in an article.
        lang: The asker's language.
        to_english: The English name of an Indonesian name (from the alias table), or None.
    """
    if span.kind == "date" and span.day is not None:
        if lang != "en" and any(ch.isdigit() for ch in span.text):
            # The article's own date ("Rabu (5/10)", "7 Agustus 2005") is how an
            # Indonesian reader writes it too; only words like "kemarin" need resolving.
            return span.text
        return format_day(span.day, lang) or span.text
    if span.kind == "number" and (lang == "en" or _english(span)):
        return _number(span, "en" if lang == "en" else "id")
    if lang != "en":
        return span.text
    if span.kind in ("name", "list"):
        return _join([_name(part, to_english) for part in span.parts])
    return span.text


def _name(name: str, to_english: Callable[[str], str | None]) -> str:
    english = to_english(name)
    if english is None:
        return name
    shown = " ".join(w if w.isupper() else w.capitalize() for w in english.split())
    return f"the {shown}" if english.casefold() in _WITH_THE else shown


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _english(span: Span) -> bool:
    """Whether a number span is written in English (its digits, scale word, qualifier or
    unit), so that an Indonesian asker needs it rewritten."""
    unit = span.unit.casefold()
    return span.written == "en" or span.qualifier in _INDONESIAN_QUALIFIERS or (
        unit in _ENGLISH_UNITS and unit not in _UNITS)


def _number(span: Span, lang: str) -> str:
    """A number span written again in ``lang``: qualifier, currency, number (or range),
    scale word and unit."""
    value = span.value if span.value is not None else _value(span.parts[0])
    if value is None:
        return span.text
    scale_word, factor = _SCALES[lang].get(span.scale, ("", 1))
    shown = span.currency + write_number(value * factor, lang)
    if span.upper is not None:
        upper = write_number(span.upper * factor, lang)
        shown += f" {_RANGE_AND[lang]} {upper}" if span.qualifier in ("antara", "between") \
            else f"–{upper}"
    shown += f" {scale_word}" if scale_word else ""
    shown += _unit(span.unit, lang, value == 1 and not scale_word and span.upper is None)
    qualifier = _QUALIFIERS.get(span.qualifier, span.qualifier) if lang == "en" \
        else _INDONESIAN_QUALIFIERS.get(span.qualifier, span.qualifier)
    return f"{qualifier} {shown}".strip()


def _unit(unit: str, lang: str, one: bool) -> str:
    """The unit after a number in ``lang`` ("" when it is not known to be a unit)."""
    key = unit.casefold()
    if key == "%":
        return "%"
    if lang == "en":
        english = _UNITS.get(key)
        if english is not None:
            return f" {english[0] if one else english[1]}"
        return f" {unit}" if key in _ENGLISH_UNITS else ""
    return f" {_INDONESIAN_UNITS[key]}" if key in _INDONESIAN_UNITS else \
        (f" {unit}" if key in _UNITS else "")


def _value(number: str) -> float | None:
    """A number without a reading of its own: by the Indonesian conventions (the seeds')."""
    reading = read_digits(number, "id")
    return reading.value if reading is not None else None
