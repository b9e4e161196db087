"""The read view of an index: what search and answer writers may ask of it.

Writers and search never index the raw arrays; they ask this view for the sentences of a
chunk, the article of a chunk, the text of a span and an article's metadata. A loaded
version (:class:`retrieval.store.data.IndexData`) is the implementation; another store (a
server holding the same data) provides the same methods.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from retrieval.store.bm25_matrix import BM25Index
from retrieval.store.data import StoredArticle
from retrieval.store.vectors import VectorIndex

__all__ = ["IndexView"]


class IndexView(Protocol):
    """Read access to one index version."""

    @property
    def num_chunks(self) -> int:
        """Number of chunks."""
        ...

    @property
    def articles(self) -> tuple[StoredArticle, ...]:
        """The articles, in id order (``article(n)`` is ``articles[n]``)."""
        ...

    @property
    def vectors(self) -> VectorIndex:
        """The chunk vectors (ids are chunk numbers)."""
        ...

    @property
    def bm25(self) -> BM25Index:
        """The BM25 matrix (rows are chunk numbers)."""
        ...

    def article(self, n: int) -> StoredArticle:
        """Article number ``n``."""
        ...

    def article_of_chunk(self, chunk: int) -> int:
        """The number of the article a chunk belongs to."""
        ...

    def article_of_sentence(self, sentence: int) -> int:
        """The number of the article a sentence belongs to."""
        ...

    def chunks_of_article(self, n: int) -> range:
        """The chunk numbers of article ``n``."""
        ...

    def sentences_of_chunk(self, chunk: int) -> range:
        """The sentence numbers of a chunk."""
        ...

    def chunk_text(self, chunk: int) -> str:
        """A chunk's text."""
        ...

    def chunk_span(self, chunk: int) -> tuple[int, int]:
        """Where a chunk sits in its article's text (start, end)."""
        ...

    def sentence_text(self, sentence: int) -> str:
        """A sentence's text."""
        ...

    def gap_before(self, sentence: int) -> str:
        """The text between a sentence and the one before it in the same article."""
        ...

    def span_text(self, article: int, start: int, end: int) -> str:
        """``article``'s text from ``start`` to ``end``."""
        ...

    def sentence_vectors(self, first: int, end: int) -> np.ndarray:
        """Vectors of sentences ``first`` to ``end - 1`` as float32 rows."""
        ...

    def article_title(self, n: int) -> str:
        """An article's headline, or its opening words when it has none."""
        ...

    def article_date(self, n: int) -> str | None:
        """An article's date: ISO when fully known, else as written, else ``None``."""
        ...
