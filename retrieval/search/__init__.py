"""Searching: a question → ranked passages of the index.

The third stage, over a loaded version (:class:`retrieval.store.IndexView`). Words become
terms (:mod:`retrieval.text.terms`); the question becomes concepts with their translations
and aliases (:mod:`.query`, :mod:`retrieval.text.lexicon`); BM25 scores the
chunks (:mod:`.bm25_scoring`), the vector index adds the dense side and the two are fused and
reranked by answer type (:mod:`.fusion`, :mod:`.qtype`). :class:`Searcher` ties it together.

Exports: ``Searcher``, ``Hit``, ``Query``, ``Concept``, ``QueryEncoder``.
"""

from retrieval.search.query import Concept, Query, QueryEncoder
from retrieval.search.searcher import Hit, Searcher

__all__ = ["Concept", "Hit", "Query", "QueryEncoder", "Searcher"]
