"""A loaded index version: its articles, offsets, vectors and BM25 matrix, read via methods.

:class:`IndexData` implements :class:`retrieval.store.view.IndexView`; the arrays of
:class:`Layout` are private to this package and the build.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from retrieval.store.bm25_matrix import BM25Index
from retrieval.store.manifest import Manifest
from retrieval.store.vectors import VectorIndex
from retrieval.text.datelines import opening_excerpt
from retrieval.types import ArticleMeta, IndexInfo

__all__ = ["IndexData", "Layout", "StoredArticle"]


@dataclass(frozen=True)
class StoredArticle:
    """An indexed article with where its sentences and chunks sit in the index arrays."""

    doc_id: str
    paths: tuple[str, ...]
    text: str
    meta: ArticleMeta
    content_hash: str
    sent_lo: int
    sent_hi: int
    chunk_lo: int
    chunk_hi: int
    lang: str = "id"  # the article's language, which decides how its words are stemmed


@dataclass(frozen=True)
class Layout:
    """Offsets of every chunk and sentence (parallel int32 arrays).

    Chunk ``i`` is ``articles[chunk_article[i]].text[chunk_start[i]:chunk_end[i]]`` and holds
    sentences ``chunk_slo[i]`` to ``chunk_shi[i] - 1``.
    """

    chunk_article: np.ndarray
    chunk_start: np.ndarray
    chunk_end: np.ndarray
    chunk_slo: np.ndarray
    chunk_shi: np.ndarray
    sent_article: np.ndarray
    sent_start: np.ndarray
    sent_end: np.ndarray

    @classmethod
    def names(cls) -> list[str]:
        """The array names, as stored in ``layout.npz``."""
        return [f.name for f in fields(cls)]


@dataclass(frozen=True)
class IndexData:
    """A loaded index version (see :class:`retrieval.store.view.IndexView` for the methods)."""

    version: str
    manifest: Manifest
    articles: tuple[StoredArticle, ...]
    layout: Layout
    sentence_vector_rows: np.ndarray  # float16, one row per sentence
    vectors: VectorIndex
    bm25: BM25Index

    @property
    def num_chunks(self) -> int:
        """Number of chunks."""
        return len(self.layout.chunk_start)

    @property
    def num_sentences(self) -> int:
        """Number of sentences."""
        return len(self.layout.sent_start)

    def info(self) -> IndexInfo:
        """What this version holds, for ``kabar status``, ``/status`` and ``/start``."""
        m = self.manifest
        return IndexInfo(version=self.version, articles=len(self.articles),
                         chunks=self.num_chunks, model=m.model, dim=m.dim,
                         newest_date=m.newest_date, built_at=m.built_at)

    def article(self, n: int) -> StoredArticle:
        """Article number ``n``."""
        return self.articles[n]

    def article_of_chunk(self, chunk: int) -> int:
        """The article a chunk belongs to."""
        return int(self.layout.chunk_article[chunk])

    def article_of_sentence(self, sentence: int) -> int:
        """The article a sentence belongs to."""
        return int(self.layout.sent_article[sentence])

    def chunks_of_article(self, n: int) -> range:
        """The chunk numbers of article ``n``."""
        art = self.articles[n]
        return range(art.chunk_lo, art.chunk_hi)

    def sentences_of_chunk(self, chunk: int) -> range:
        """The sentence numbers of a chunk."""
        return range(int(self.layout.chunk_slo[chunk]), int(self.layout.chunk_shi[chunk]))

    def chunk_span(self, chunk: int) -> tuple[int, int]:
        """Where a chunk sits in its article's text."""
        return int(self.layout.chunk_start[chunk]), int(self.layout.chunk_end[chunk])

    def chunk_text(self, chunk: int) -> str:
        """A chunk's text."""
        start, end = self.chunk_span(chunk)
        return self.articles[self.article_of_chunk(chunk)].text[start:end]

    def sentence_text(self, sentence: int) -> str:
        """A sentence's text."""
        lay = self.layout
        return self.articles[lay.sent_article[sentence]].text[
            lay.sent_start[sentence]:lay.sent_end[sentence]]

    def gap_before(self, sentence: int) -> str:
        """The text between a sentence and the previous one of its article ("" for the first)."""
        lay = self.layout
        art = self.article_of_sentence(sentence)
        if sentence == 0 or self.article_of_sentence(sentence - 1) != art:
            return ""
        return self.articles[art].text[lay.sent_end[sentence - 1]:lay.sent_start[sentence]]

    def span_text(self, article: int, start: int, end: int) -> str:
        """Part of an article's text."""
        return self.articles[article].text[start:end]

    def sentence_vectors(self, first: int, end: int) -> np.ndarray:
        """Vectors of sentences ``first`` .. ``end - 1``, as float32."""
        return np.asarray(self.sentence_vector_rows[first:end], dtype=np.float32)

    def article_title(self, n: int) -> str:
        """An article's headline, or its opening words when it has none."""
        article = self.articles[n]
        return article.meta.title or opening_excerpt(article.text)

    def article_date(self, n: int) -> str | None:
        """An article's date: ISO when fully known, else as written."""
        meta = self.articles[n].meta
        return meta.date or meta.date_text
