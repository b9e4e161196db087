"""The index: versioned folders on disk (or collections in Milvus), a typed manifest,
publishing, the lock.

Flow: building → **store** → search. A build hands a complete version to
:func:`write_version`, which writes it beside the published one and switches ``CURRENT``
atomically; :func:`load` reads a version back, verified, into an :class:`IndexData`, the
implementation of the read view (:class:`IndexView`) that search and answer writers use.

Seams: :class:`IndexStore` (where versions live: this folder, or Milvus; chosen by
:func:`open_store`), :class:`VectorIndex` (chunk vectors; FAISS in
:mod:`retrieval.store.vectors`, Milvus in :mod:`retrieval.store.milvus`) and
:class:`IndexView`.

Exports: ``load``, ``write_version``, ``current_version``, ``read_manifest``,
``build_lock``, ``IndexData``, ``IndexView``, ``Layout``, ``Manifest``, ``StoredArticle``,
``VectorIndex``, ``BM25Index``.
"""

from retrieval.store.bm25_matrix import BM25Index
from retrieval.store.data import IndexData, Layout, StoredArticle
from retrieval.store.manifest import Manifest
from retrieval.store.stores import IndexStore, LocalStore, open_store
from retrieval.store.vectors import VectorIndex
from retrieval.store.versions import (
    build_lock,
    check_compatible,
    current_version,
    load,
    read_manifest,
    read_seeds_state,
    verify,
    write_seeds_state,
    write_version,
)
from retrieval.store.view import IndexView

__all__ = ["BM25Index", "IndexData", "IndexStore", "IndexView", "Layout", "LocalStore",
           "Manifest", "StoredArticle", "VectorIndex", "build_lock", "check_compatible",
           "current_version", "load", "open_store", "read_manifest", "read_seeds_state",
           "verify", "write_seeds_state", "write_version"]
