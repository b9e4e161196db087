"""Cutting a long answer into messages a chat accepts, whatever the chat's markup and limit.

An answer is laid out as blocks (a paragraph of plain text, wrapped in at most one pair of
tags). :func:`split_blocks` packs them into as few messages of at most ``limit`` as possible;
a paragraph too long for one message is cut between sentences, a sentence too long between
words, a word too long between characters: never inside an escape (``&amp;``), never between
a tag and its text, and never right before a ``[n]`` citation marker, which stays with the
sentence it cites. Each piece gets its own pair of tags, so every message is balanced.

The markup is a parameter (:class:`Markup`: how plain text is escaped, how the platform
counts a message's length): Telegram's HTML counts UTF-16 code units, :data:`PLAIN` text
counts characters. A new front end passes its own limit and markup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["PLAIN", "Block", "Markup", "hard_cut", "split_blocks"]

# Where a long paragraph may be cut: after a sentence's end (or its citation marker), and never
# right before a "[n]" marker, which must stay with the sentence it cites.
_SENTENCE_GAP = re.compile(r"(?<=[.!?…\"'”’)\]])\s+(?!\[\d+\])")
_WORD_GAP = re.compile(r"\s+(?!\[\d+\])")
_MARKER = re.compile(r"\[\d+\]")


def _unchanged(text: str) -> str:
    return text


@dataclass(frozen=True)
class Markup:
    """How a chat writes text.

    Attributes:
        escape: Plain text as this markup writes it (HTML: ``<``, ``>``, ``&`` escaped).
        length: A message's length as the platform counts it against its limit.
    """

    escape: Callable[[str], str]
    length: Callable[[str], int]


#: Plain text: nothing escaped, length in characters.
PLAIN = Markup(escape=_unchanged, length=len)


@dataclass(frozen=True)
class Block:
    """A paragraph of plain text, escaped and wrapped in one pair of tags when shown.

    Attributes:
        text: The paragraph, unescaped.
        sep: What joins it to the block before it in the same message.
        open: The opening tag(s), already in the markup (``"<b>"``), or "".
        close: The matching closing tag(s), or "".
    """

    text: str
    sep: str = "\n\n"
    open: str = ""
    close: str = ""

    def render(self, markup: Markup, body: str | None = None) -> str:
        """The block (or ``body``, a piece of it) escaped and wrapped in its tags."""
        return f"{self.open}{markup.escape(self.text if body is None else body)}{self.close}"


def split_blocks(blocks: Sequence[Block], limit: int, markup: Markup = PLAIN) -> list[str]:
    """Pack blocks into as few messages of at most ``limit`` (as ``markup`` counts) as possible.

    Args:
        blocks: The paragraphs, in order.
        limit: The platform's limit for one message (Telegram: 4096).
        markup: How text is escaped and measured.

    Returns:
        The messages, each balanced (every tag opened and closed in it).
    """
    parts: list[str] = []
    current = ""
    for block in blocks:
        for i, piece in enumerate(_pieces(block, limit, markup)):
            sep = block.sep if i == 0 else " "
            if current and markup.length(current) + markup.length(sep) \
                    + markup.length(piece) <= limit:
                current += sep + piece
            else:
                if current:
                    parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts


def _pieces(block: Block, limit: int, markup: Markup) -> list[str]:
    """The block, rendered, cut into pieces that each fit in ``limit``."""
    whole = block.render(markup)
    if markup.length(whole) <= limit:
        return [whole]
    budget = limit - markup.length(block.open) - markup.length(block.close)
    units = []
    for sentence in _SENTENCE_GAP.split(block.text):
        if markup.length(markup.escape(sentence)) <= budget:
            units.append(sentence)
        else:
            for word in _WORD_GAP.split(sentence):
                units.extend(hard_cut(word, budget, markup))
    pieces: list[str] = []
    current = ""
    for unit in units:
        joined = f"{current} {unit}" if current else unit
        if markup.length(markup.escape(joined)) <= budget:
            current = joined
        else:
            pieces.append(current)
            current = unit
    if current:
        pieces.append(current)
    return [block.render(markup, p) for p in pieces]


def hard_cut(word: str, budget: int, markup: Markup = PLAIN) -> list[str]:
    """Cut a run of text without spaces into pieces whose escaped form fits ``budget``.

    Cuts are made on raw characters, so an escape such as ``&amp;`` is never split, and are
    moved before a ``[n]`` marker that would otherwise be cut in two.
    """
    out = []
    while markup.length(markup.escape(word)) > budget:
        size, cut = 0, 0
        while cut < len(word) and size + markup.length(markup.escape(word[cut])) <= budget:
            size += markup.length(markup.escape(word[cut]))
            cut += 1
        cut = max(cut, 1)  # a budget below one escaped character still makes progress
        for marker in _MARKER.finditer(word):
            if marker.start() < cut < marker.end() and marker.start() > 0:
                cut = marker.start()
        out.append(word[:cut])
        word = word[cut:]
    return [*out, word] if word else out
