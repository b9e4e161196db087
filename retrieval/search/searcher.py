"""Hybrid, cross-lingual search over one loaded index version.

BM25 scores every chunk for the weighted stems of the question's concepts
(:mod:`.query`); the vector index gives the dense side; the two are fused and the head
reranked by answer type (:mod:`.fusion`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from retrieval.search.bm25_scoring import bm25_scores
from retrieval.search.fusion import fuse, rerank_by_type, top
from retrieval.search.qtype import answer_type
from retrieval.search.query import Query, QueryEncoder, analyse
from retrieval.store import IndexView
from retrieval.text.acronyms import Acronyms
from retrieval.text.lexicon import Lexicon
from retrieval.tuning import TUNING, Tuning
from retrieval.types import Passage

__all__ = ["Hit", "Searcher"]


@runtime_checkable
class HybridIndex(Protocol):
    """A vector index that also holds the BM25 weights and searches both sides at once
    (Milvus: :class:`retrieval.store.milvus.MilvusVectorIndex`)."""

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids``."""
        ...

    def hybrid(self, query: np.ndarray, terms: Mapping[int, float], dense_k: int,
               sparse_k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ids (and vectors) of the ``dense_k`` nearest vectors and the ``sparse_k``
        best BM25 scores."""
        ...


@dataclass(frozen=True)
class Hit:
    """A candidate chunk with its scores."""

    chunk_id: int
    score: float
    bm25: float
    dense: float


class Searcher:
    """Searches one loaded index version.

    Args:
        view: The loaded index.
        encoder: The same model the index was built with (for question vectors).
        lexicon: The bilingual lexicon for query expansion.
        tuning: Candidate counts, weights and bonus; unresolved dense weights (``None``) take
            the tuned ones for the encoder (see :func:`retrieval.tuning.effective`).
    """

    def __init__(self, view: IndexView, encoder: QueryEncoder, lexicon: Lexicon,
                 tuning: Tuning = TUNING) -> None:
        self.view = view
        self._encoder = encoder
        self._lexicon = lexicon
        self.tuning = tuning
        self._acronyms: Acronyms | None = None
        self._w = {lang: (resolved if resolved is not None
                          else tuning.dense_weight_for(encoder.model_id, lang))
                   for lang, resolved in (("id", tuning.dense_weight),
                                          ("en", tuning.dense_weight_en))}

    @property
    def lexicon(self) -> Lexicon:
        """The bilingual lexicon (translations, aliases, known words)."""
        return self._lexicon

    @property
    def acronyms(self) -> Acronyms:
        """The acronyms this version's articles expand ("Rumah Sakit Umum Pusat (RSUP)"),
        read from their texts on first use (~40 ms for 5 MB of articles)."""
        if self._acronyms is None:
            self._acronyms = Acronyms.found_in(a.text for a in self.view.articles)
        return self._acronyms

    def aliases_of(self, name: str) -> list[str]:
        """Other names of ``name`` in this index: the long name of an acronym the articles
        expand and the acronym of such a long name, then the lexicon's aliases."""
        return list(dict.fromkeys([*self.acronyms.aliases_of(name),
                                   *self._lexicon.aliases(name)]))

    def analyse(self, question: str, context: str = "", lang: str | None = None) -> Query:
        """Turn a question (and optional earlier-turn context) into a :class:`Query`;
        ``lang`` is its language when already known (else it is detected)."""
        return analyse(question, context, self._lexicon, self.view.bm25.doc_freq,
                       self.view.num_chunks, self._encoder, self.tuning.translation_weight,
                       self.tuning.synonym_weight, lang, self.acronyms)

    def search(self, query: Query, k: int) -> list[Hit]:
        """The ``k`` best chunks for ``query``, best first."""
        view, tuning = self.view, self.tuning
        if view.num_chunks == 0:
            return []
        weighted = query.weighted_terms()
        bm25 = bm25_scores(view.bm25, weighted)
        weight = self._w["en" if query.lang == "en" else "id"]
        dense_k = tuning.dense_candidates if weight > 0 else 0
        if isinstance(view.vectors, HybridIndex):
            cand, rows = self._hybrid_candidates(view.vectors, query, weighted, bm25, dense_k)
        else:
            candidates = set(top(bm25, tuning.bm25_candidates).tolist())
            if dense_k:
                ids, _ = view.vectors.search(query.vector, dense_k)
                candidates.update(int(i) for i in ids)
            cand = np.fromiter(candidates, dtype=np.int64)
            rows = view.vectors.vectors(cand)
        if len(cand) == 0:
            return []
        dense = rows @ query.vector.astype(np.float32)
        b = bm25[cand]
        fused = rerank_by_type(fuse(b, dense, weight), cand, answer_type(query.text),
                               query.text, view.chunk_text, tuning.rerank_depth,
                               tuning.answer_type_bonus)
        # Ties (common when BM25 has nothing) fall back to the dense order, then chunk order.
        order = np.lexsort((cand, -dense, -fused))[:k]
        return [Hit(int(cand[i]), float(fused[i]), float(b[i]), float(dense[i])) for i in order]

    def score_chunks(self, query: Query, chunks: np.ndarray) -> list[Hit]:
        """``chunks`` scored for ``query`` as :meth:`search` scores its candidates, best
        first: the chunks of new articles, matched against a followed story."""
        if len(chunks) == 0:
            return []
        bm25 = bm25_scores(self.view.bm25, query.weighted_terms())[chunks]
        dense = self.view.vectors.vectors(chunks) @ query.vector.astype(np.float32)
        fused = fuse(bm25, dense, self._w["en" if query.lang == "en" else "id"])
        order = np.lexsort((chunks, -dense, -fused))
        return [Hit(int(chunks[i]), float(fused[i]), float(bm25[i]), float(dense[i]))
                for i in order]

    def _hybrid_candidates(self, index: HybridIndex, query: Query,
                           weighted: Mapping[str, float], bm25: np.ndarray, dense_k: int
                           ) -> tuple[np.ndarray, np.ndarray]:
        """Both candidate lists, with their vectors, from one search in the server."""
        vocab = self.view.bm25.vocab
        columns = {vocab[t]: w for t, w in weighted.items() if t in vocab}
        ids, rows = index.hybrid(query.vector, columns, dense_k, self.tuning.bm25_candidates)
        known = dict(zip(ids.tolist(), rows, strict=True))
        # The BM25 list FAISS fuses also holds chunks of score 0 when fewer chunks match (the
        # server returns only matches), and the order candidates are met in breaks ties in
        # the rerank: so they are met as with FAISS, the BM25 list first, then the server's.
        candidates = set(top(bm25, self.tuning.bm25_candidates).tolist())
        candidates.update(known)
        cand = np.fromiter(candidates, dtype=np.int64)
        missing = np.array([c for c in candidates if c not in known], dtype=np.int64)
        known.update(zip(missing.tolist(), index.vectors(missing), strict=True))
        dim = len(query.vector)
        return cand, np.array([known[c] for c in cand.tolist()], np.float32).reshape(-1, dim)

    def passages(self, hits: list[Hit]) -> list[Passage]:
        """Hits as typed passages."""
        out = []
        for hit in hits:
            number = self.view.article_of_chunk(hit.chunk_id)
            art = self.view.article(number)
            out.append(Passage(
                chunk_id=hit.chunk_id, doc_id=art.doc_id, text=self.view.chunk_text(hit.chunk_id),
                title=self.view.article_title(number), outlet=art.meta.outlet,
                date=self.view.article_date(number), score=round(hit.score, 4)))
        return out
