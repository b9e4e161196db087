"""Sentence splitting for Indonesian and English news text.

Paragraph breaks always end a sentence; inside a paragraph ``.``, ``!``, ``?`` or ``…`` end
one unless the period belongs to an abbreviation or an initial. Everything runs in linear
time, whatever the text holds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SPLITTER_VERSION", "Sentence", "split_sentences"]

#: Bumped whenever sentence splitting changes, so older indexes are re-embedded.
SPLITTER_VERSION = 2

# Words that end with a period without ending a sentence. Indonesian news uses many titles and
# short forms (``Jl.``, ``dll.``, ``No.``); English ones are the usual honorifics and Latin.
_ABBREVIATIONS = frozenset(
    """
    a.n bpk bu dll dsb dkk dr drs drg hj h ir jl jln kol kapt letjen mayjen brigjen no nn ny
    prof sdr st tn tsb yth m.a m.sc s.h s.e s.t s.pd s.sos s.ip hlm kab kec kel prov rp
    mr mrs ms messrs jr sr st gen lt col capt sgt rev gov sen rep dept inc ltd co corp
    vs etc e.g i.e approx est fig jan feb mar apr jun jul aug sep sept oct nov dec
    u.s u.k u.n p.m a.m
    """.split()
)

# A candidate boundary: sentence-final punctuation, optional closing quotes or brackets, then
# whitespace. Whether it really ends a sentence is decided by ``_is_boundary``.
_CANDIDATE = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_WORD_BEFORE = re.compile(r"([\w.]+)[.!?…]*[\"'”’)\]]*$")
_PARAGRAPH = re.compile(r"\n\s*\n")
_WORD_WINDOW = 80
_NEXT_CHAR = re.compile(r"\s*(\S)")


@dataclass(frozen=True)
class Sentence:
    """A sentence of an article's cleaned text; ``text == body[start:end]``."""

    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[Sentence]:
    """Split cleaned article text into sentences.

    Paragraph breaks always end a sentence. Inside a paragraph a sentence ends at ``.``, ``!``,
    ``?`` or ``…`` (with any closing quotes) followed by whitespace, unless the period belongs
    to an abbreviation or an initial. Numbers such as ``1.400`` or ``29.514`` never split
    because no whitespace follows their period.

    Args:
        text: The cleaned text of one article.

    Returns:
        The sentences in order, stripped, with offsets into ``text``.
    """
    sentences: list[Sentence] = []
    for p_start, p_end in _paragraph_spans(text):
        start = p_start
        for match in _CANDIDATE.finditer(text, p_start, p_end):
            if _is_boundary(text, start, match.start(), match.end(), p_end):
                _append(sentences, text, start, match.end())
                start = match.end()
        _append(sentences, text, start, p_end)
    return sentences


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _PARAGRAPH.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _is_boundary(text: str, sent_start: int, punct: int, after: int, limit: int) -> bool:
    # The word before the mark is looked for in a short window, not from the sentence's
    # start: a long run without boundaries would otherwise make splitting quadratic.
    sent_start = max(sent_start, punct - _WORD_WINDOW)
    if text[punct] == ".":
        word = _WORD_BEFORE.search(text, sent_start, punct + 1)
        token = word.group(1).rstrip(".").lower() if word else ""
        # Initials ("J. Kerry") and listed abbreviations do not end a sentence, unless they
        # close the paragraph anyway.
        if (len(token) == 1 and token.isalpha()) or token in _ABBREVIATIONS:
            return False
    following = _NEXT_CHAR.match(text, after, limit)
    if following is None:
        return False
    # A new sentence starts with a capital, a digit, a quote or a bracket. A lowercase
    # continuation keeps the sentence going after a short token ("... 30 km. dari ..."),
    # but scraped news often starts sentences in lowercase after a full word
    # ("... kontra terorisme. dikutip dari ..."), which does end a sentence.
    first = following.group(1)
    if first.isupper() or first.isdigit() or first in "\"'“‘([–-•":
        return True
    if text[punct] != "." or not first.isalpha():
        return False
    word = _WORD_BEFORE.search(text, sent_start, punct + 1)
    token = word.group(1).rstrip(".") if word else ""
    return len(token) >= 4 and token.isalpha() and token.islower() \
        and token not in _ABBREVIATIONS


def _append(out: list[Sentence], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start < end:
        out.append(Sentence(start, end, text[start:end]))


