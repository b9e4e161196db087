"""The index: published versions (in folders on disk, or collections in Milvus) and the
data types a version is made of.

Flow: building → **store** → search. :func:`open_store` opens the store the settings name,
once per process; the build hands it complete versions (:meth:`IndexStore.write_version`
publishes atomically), the engine loads them back, verified, into an :class:`IndexData`, the
implementation of the read view (:class:`IndexView`) that search and answer writers use.

Seams: :class:`IndexStore` (where versions live: the folder, :mod:`.stores`, or Milvus,
:mod:`.milvus_store`), :class:`VectorIndex` (which index holds the chunk vectors: FAISS in
:mod:`.vectors`, Milvus in :mod:`.milvus`, registered in :data:`.vectors.BACKENDS`) and
:class:`IndexView`.

Exports the seams and data types only: ``IndexStore``, ``open_store``, ``VectorIndex``,
``IndexView``, ``IndexData``, ``Layout``, ``Manifest``, ``StoredArticle``, ``BM25Index``.
"""

from retrieval.store.bm25_matrix import BM25Index
from retrieval.store.data import IndexData, Layout, StoredArticle
from retrieval.store.manifest import Manifest
from retrieval.store.stores import IndexStore, open_store
from retrieval.store.vectors import VectorIndex
from retrieval.store.view import IndexView

__all__ = ["BM25Index", "IndexData", "IndexStore", "IndexView", "Layout", "Manifest",
           "StoredArticle", "VectorIndex", "open_store"]
