"""Expected answer types of factoid questions, and whether a passage holds one.

"Berapa penumpang...?" wants a number, "Kapan...?" a date, "Siapa/Di mana...?" a name. A
passage that repeats the question's words but holds nothing of the wanted type (no number
that is not already in the question, say) is less likely to answer it. Search uses this as a
small bonus when reranking its top candidates; on FacQA train it lifted R@1 by about half a
point (benchmarks/bench_quality.py).
"""

from __future__ import annotations

import re
from typing import Literal

from retrieval.text.terms import words

AnswerType = Literal["number", "time", "name"]

_TYPES: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    ("time", re.compile(
        r"\b(kapan|kapankah|tahun berapa|tanggal berapa|pukul berapa|jam berapa|bulan apa|"
        r"when|what year|what date|what time)\b")),
    ("number", re.compile(r"\b(berapa|berapakah|how many|how much)\b")),
    ("name", re.compile(
        r"\b(siapa|siapakah|di ?mana|di ?manakah|ke ?mana|dari ?mana|who|whom|whose|where)\b")),
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_TIME = re.compile(
    r"\b(januari|februari|maret|april|mei|juni|juli|agustus|september|oktober|november|"
    r"desember|january|february|march|may|june|july|august|october|december|senin|selasa|"
    r"rabu|kamis|jumat|sabtu|minggu|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|\d{4}|\d{1,2}/\d{1,2})\b", re.I)
_NAME = re.compile(r"\b[A-Z][\w-]+")


def answer_type(question: str) -> AnswerType | None:
    """The kind of answer a question asks for, or ``None`` when it is not clear."""
    lowered = question.casefold()
    for kind, pattern in _TYPES:
        if pattern.search(lowered):
            return kind
    return None


def holds(passage: str, kind: AnswerType, question: str) -> bool:
    """Whether ``passage`` holds an answer of ``kind`` that the question does not already say."""
    asked = set(words(question))
    if kind == "number":
        return any(n.replace(".", "").replace(",", "") not in asked
                   for n in _NUMBER.findall(passage))
    if kind == "time":
        return any(m.group(0).casefold() not in asked for m in _TIME.finditer(passage))
    # A capitalised word other than the passage's first (which is capitalised anyway).
    return any(w.casefold() not in asked for w in _NAME.findall(passage)[1:])
