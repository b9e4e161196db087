"""Building the index: articles → sentences, chunks, vectors, BM25 → a new index version.

The second stage. :func:`build_index` (:mod:`.indexer`) reads the corpus, re-embeds only
new and changed articles (:mod:`.assemble`: sentences from :mod:`.sentences`, chunks from
:mod:`.chunks`, vectors from an :class:`~retrieval.embedding.Embedder`, BM25 from
:mod:`.bm25_weights`) and publishes through the :class:`~retrieval.store.IndexStore` it is
handed (which also says which vector index holds the vectors). :func:`freshness` says whether
the published index is stale; :func:`watch` (:mod:`.watch`) rebuilds while files change; the
building machine's own state (build lock, seeds' file list) is :mod:`.state`.

Exports: ``build_index``, ``BuildReport``, ``freshness``, ``Freshness``, ``watch``.
"""

from retrieval.building.freshness import Freshness, freshness
from retrieval.building.indexer import BuildReport, build_index
from retrieval.building.watch import watch

__all__ = ["BuildReport", "Freshness", "build_index", "freshness", "watch"]
