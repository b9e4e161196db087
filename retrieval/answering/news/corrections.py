"""Figures a report says were wrong: "BNPB meralat angka 12", "9 orang, bukan 12", "angka
12 yang sempat beredar", "earlier reported as 12".

A correcting word stands before the figure it corrects ("bukan", "meralat angka",
"previously reported as"), or a past-report phrase after it ("yang sempat beredar", "was
wrong"); within a few words either way. The figure the correction gives ("9 orang, bukan
12": the 9) is not corrected by it.
"""

from __future__ import annotations

import re

from retrieval.answering.common.numbers import SCALES
from retrieval.answering.common.spans import Span, number_spans

__all__ = ["corrected_in", "corrects"]

_BEFORE = re.compile(
    r"\b(ralat|meralat|diralat|koreksi|mengoreksi|dikoreksi|revisi|merevisi|direvisi|"
    r"sempat (?:beredar|disebut|diberitakan|dilaporkan|ditulis)|sebelumnya (?:disebut|"
    r"diberitakan|dilaporkan|dikabarkan|ditulis)|instead of|rather than|corrected|"
    r"revised|(?:earlier|previously|initially) (?:reported|put|given|said|stated))\b", re.I)
_AFTER = re.compile(
    r"^\W*(?:\w+\W+){0,2}(yang )?(sempat (?:beredar|disebut|diberitakan|dilaporkan|ditulis)|"
    r"(?:keliru|salah|tidak benar)|(?:was|were) (?:wrong|incorrect|erroneous|an error)|"
    r"(?:reported|given) earlier)\b", re.I)
# A correction notice: every figure in it is the wrong one, until "the right one is".
_NOTICE = re.compile(r"^\W*(ralat|koreksi|correction|clarification|erratum)\b", re.I)
_RIGHT = re.compile(r"\b(yang benar|seharusnya|the correct|should have)\b", re.I)
# "bukan 12", "not 12": only right before the figure (a "not" elsewhere denies anything).
_DENIED = re.compile(r"\b(?:bukan|not|and not|dan bukan)\s+$", re.I)
# Characters between a correcting word and the figure it corrects.
_NEAR = 30


def corrected_in(text: str, span: Span, lang: str) -> bool:
    """Whether ``text`` says the figure at ``span`` was wrong."""
    if span.kind != "number":
        return False
    if _NOTICE.match(text) and not _RIGHT.search(text[:span.start]):
        return True  # "Ralat: dalam berita sebelumnya ... 12 orang."
    before = text[max(0, span.start - _NEAR):span.start]
    if _BEFORE.search(before) or _DENIED.search(before):
        return True
    return bool(_AFTER.search(text[span.end:span.end + _NEAR + 20]))


def corrects(text: str, value: float, lang: str) -> bool:
    """Whether ``text`` says the number ``value`` (its scale applied) was wrong."""
    for span in number_spans(text, lang):
        if span.value is None or round(span.value * SCALES.get(span.scale, 1), 6) != value:
            continue
        if corrected_in(text, span, lang):
            return True
    return False
