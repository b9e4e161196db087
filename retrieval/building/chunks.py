"""Sentence-aware chunking: runs of whole sentences of bounded size.

Consecutive chunks of an article share a small overlap of sentences, so a fact that
straddles a boundary is whole in one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.building.sentences import SPLITTER_VERSION, Sentence, split_sentences

__all__ = ["CHUNKER_VERSION", "Chunk", "chunk_sentences", "chunk_text"]

#: Bumped whenever sentence splitting or chunking changes, so older indexes are re-embedded.
CHUNKER_VERSION = SPLITTER_VERSION

@dataclass(frozen=True)
class Chunk:
    """A run of whole sentences of one article.

    Attributes:
        doc_id: The article id.
        title: The article's title, or ``None``.
        start: Offset of the first character in the article's cleaned text.
        end: Offset just past the last character.
        text: ``body[start:end]``.
        sentences: The sentences in the chunk, with offsets into the article's text.
    """

    doc_id: str
    title: str | None
    start: int
    end: int
    text: str
    sentences: tuple[Sentence, ...]


def chunk_sentences(
    doc_id: str,
    title: str | None,
    text: str,
    sentences: list[Sentence],
    max_chars: int = 700,
    overlap: int = 1,
) -> list[Chunk]:
    """Pack sentences into chunks of at most ``max_chars`` characters.

    Args:
        doc_id: The article id.
        title: The article title, kept on every chunk.
        text: The article's cleaned text the sentence offsets refer to.
        sentences: Its sentences, from :func:`split_sentences`.
        max_chars: Upper bound on a chunk's length. A single sentence longer than this is
            cut at word boundaries into pieces that fit.
        overlap: How many trailing sentences of a chunk also open the next one.

    Returns:
        The chunks in order; every sentence is in at least one chunk.
    """
    pieces = [piece for s in sentences for piece in _fit(s, max_chars)]
    chunks: list[Chunk] = []
    i = 0
    while i < len(pieces):
        j = i + 1
        while j < len(pieces) and pieces[j].end - pieces[i].start <= max_chars:
            j += 1
        group = pieces[i:j]
        start, end = group[0].start, group[-1].end
        chunks.append(Chunk(doc_id, title, start, end, text[start:end], tuple(group)))
        if j >= len(pieces):
            break
        # Step back for the overlap, but always advance, and only when the overlap and the
        # next new sentence fit together; otherwise the next chunk would only repeat text.
        back = max(i + 1, j - overlap) if overlap and j - i > overlap else j
        i = back if pieces[j].end - pieces[back].start <= max_chars else j
    return chunks


def chunk_text(
    doc_id: str, title: str | None, text: str, max_chars: int = 700, overlap: int = 1
) -> list[Chunk]:
    """Split ``text`` into sentences and pack them into chunks (see :func:`chunk_sentences`)."""
    return chunk_sentences(doc_id, title, text, split_sentences(text), max_chars, overlap)


def _fit(sentence: Sentence, max_chars: int) -> list[Sentence]:
    """Cut a sentence longer than ``max_chars`` at word boundaries.

    Works on offsets into the sentence, so a multi-megabyte run of text is cut in linear time.
    """
    if sentence.end - sentence.start <= max_chars:
        return [sentence]
    pieces, text, pos = [], sentence.text, 0
    while len(text) - pos > max_chars:
        cut = text.rfind(" ", pos, pos + max_chars + 1)
        if cut <= pos:
            cut = pos + max_chars
        head = text[pos:cut].rstrip()
        if head:
            pieces.append(Sentence(sentence.start + pos, sentence.start + pos + len(head), head))
        pos = cut
        while pos < len(text) and text[pos].isspace():
            pos += 1
    if pos < len(text):
        pieces.append(Sentence(sentence.start + pos, sentence.end, text[pos:]))
    return pieces
