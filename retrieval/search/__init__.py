"""Searching: a question → ranked passages of the index.

The third stage, over a loaded version (:class:`retrieval.store.IndexView`). Words become
terms (:mod:`.terms`: Sastrawi/Snowball stems, stopwords); the question becomes concepts
with their translations and aliases (:mod:`.query`, :mod:`.lexicon`); BM25 scores the
chunks (:mod:`.bm25`), the vector index adds the dense side and the two are fused and
reranked by answer type (:mod:`.fusion`, :mod:`.qtype`). :class:`Searcher` ties it together.

Exports: ``Searcher``, ``Hit``, ``Query``, ``Concept``, ``QueryEncoder``, ``Lexicon``,
``detect_language``, ``terms``.
"""

from retrieval.search.lexicon import Lexicon
from retrieval.search.query import Concept, Query, QueryEncoder
from retrieval.search.searcher import Hit, Searcher
from retrieval.search.terms import terms
from retrieval.search.wordlists import detect_language

__all__ = ["Concept", "Hit", "Lexicon", "Query", "QueryEncoder", "Searcher",
           "detect_language", "terms"]
