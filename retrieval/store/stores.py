"""The index-store seam: where published versions live, chosen by ``KABAR_VECTOR_STORE``.

A store publishes complete versions atomically, names the published one and loads it into
an :class:`~retrieval.store.data.IndexData` (the build's lock and seeds state are the
building machine's: :mod:`retrieval.building.state`). The
build (:mod:`retrieval.building.indexer`), the engine and ``kabar status`` only see
:class:`IndexStore`; :func:`open_store` picks the implementation, once per process:

- ``faiss`` (default): :class:`LocalStore`, versioned folders in ``KABAR_INDEX_DIR``
  (:mod:`retrieval.store.versions`), the chunk vectors in the vector index
  ``KABAR_VECTOR_INDEX`` names (FAISS unless another is registered in
  :data:`~retrieval.store.vectors.BACKENDS`);
- ``milvus``: :class:`retrieval.store.milvus_store.MilvusStore`, one Milvus collection per
  version behind an alias (pymilvus is imported only then); Milvus is its vector index.

Where versions live and which vector index holds the chunk vectors are two settings; the
store says which vector index it publishes with (:attr:`IndexStore.vector_index`), the
build records it in the manifest and the seeds state, so a switch republishes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from retrieval.config import Settings
from retrieval.errors import ConfigError
from retrieval.store import vectors, versions
from retrieval.store.bm25_matrix import BM25Index
from retrieval.store.data import IndexData, Layout, StoredArticle
from retrieval.store.manifest import Manifest

__all__ = ["IndexStore", "LocalStore", "open_store"]

#: Vector indexes that are a store of their own (Milvus keeps the vectors in its
#: collections, whose names cannot travel in a version folder), by the store to set.
_STORE_OWNED = {"milvus": "milvus"}


class IndexStore(Protocol):
    """Published index versions, wherever they live."""

    @property
    def name(self) -> str:
        """The store kind: ``"faiss"`` or ``"milvus"``."""
        ...

    @property
    def where(self) -> str:
        """Where the versions live, for messages and ``kabar status`` (never a secret)."""
        ...

    @property
    def vector_index(self) -> str:
        """The vector index (a :data:`~retrieval.store.vectors.BACKENDS` name) new versions
        hold their chunk vectors in."""
        ...

    def current_version(self) -> str | None:
        """The published version, or ``None`` when nothing is published."""
        ...

    def read_manifest(self, version: str | None = None) -> Manifest:
        """The manifest of ``version`` (default: the published one)."""
        ...

    def check_compatible(self, manifest: Manifest, model_id: str | None) -> None:
        """Raise :class:`IndexMismatchError` when the index cannot serve ``model_id``."""
        ...

    def verify(self, version: str, manifest: Manifest) -> None:
        """Check a version's parts against its manifest's checksums."""
        ...

    def load(self, model_id: str | None = None, version: str | None = None) -> IndexData:
        """Load and verify ``version`` (default: the published one)."""
        ...

    def write_version(self, manifest: Manifest, articles: Sequence[StoredArticle],
                      layout: Layout, sentence_vectors: np.ndarray,
                      chunk_vectors: np.ndarray, bm25: BM25Index) -> str:
        """Write a complete version and publish it atomically; returns its name.

        ``chunk_vectors`` (row ``i`` = chunk ``i``) go into the vector index the manifest
        names (``vector_backend``, ``vector_kind``)."""
        ...

    def building(self, waited: bool) -> contextlib.AbstractContextManager[None]:
        """Entered by the build once it holds the build lock, for as long as it runs
        (``waited``: it had to wait for another build, which may still be letting go)."""
        ...


class LocalStore:
    """Versioned folders on the local disk (:mod:`retrieval.store.versions`).

    Args:
        index_dir: The index folder.
        vector_index: The vector index new versions are published with.
    """

    name = "faiss"

    def __init__(self, index_dir: Path, vector_index: str = "faiss") -> None:
        self.index_dir = index_dir
        self._vector_index = vector_index

    @property
    def vector_index(self) -> str:
        """``KABAR_VECTOR_INDEX`` (FAISS for ``auto``)."""
        return self._vector_index

    @property
    def where(self) -> str:
        """The index folder."""
        return str(self.index_dir)

    def current_version(self) -> str | None:
        """The name in ``CURRENT``."""
        return versions.current_version(self.index_dir)

    def read_manifest(self, version: str | None = None) -> Manifest:
        """A version's ``manifest.json``."""
        return versions.read_manifest(self.index_dir, version)

    def check_compatible(self, manifest: Manifest, model_id: str | None) -> None:
        """Same format and model."""
        versions.check_compatible(manifest, model_id, self.index_dir)

    def verify(self, version: str, manifest: Manifest) -> None:
        """Every file's checksum."""
        versions.verify(self.index_dir, version, manifest)

    def load(self, model_id: str | None = None, version: str | None = None) -> IndexData:
        """Read a version wholly into memory."""
        return versions.load(self.index_dir, model_id, version)

    @contextlib.contextmanager
    def building(self, waited: bool) -> Iterator[None]:
        """Clear what a killed build left in the versions folder (nobody else writes now)."""
        versions.clear_leftovers(self.index_dir)
        yield

    def write_version(self, manifest: Manifest, articles: Sequence[StoredArticle],
                      layout: Layout, sentence_vectors: np.ndarray,
                      chunk_vectors: np.ndarray, bm25: BM25Index) -> str:
        """Write a version folder and switch ``CURRENT``."""
        return versions.write_version(self.index_dir, manifest, articles, layout,
                                      sentence_vectors, chunk_vectors, bm25)



def open_store(settings: Settings) -> IndexStore:
    """The store ``settings`` name (``KABAR_VECTOR_STORE``), publishing with the vector
    index ``KABAR_VECTOR_INDEX`` names. Open it once per process and hand it on.

    Raises:
        ConfigError: Milvus is asked for but not installed or not reachable, or the vector
            index is unknown or cannot live in that store.
    """
    wanted = settings.vector_index
    if settings.vector_store == "milvus":
        if wanted not in ("auto", "milvus"):
            raise ConfigError(f"KABAR_VECTOR_INDEX={wanted} cannot hold the vectors of "
                              "KABAR_VECTOR_STORE=milvus (Milvus is its own vector index) "
                              "— set KABAR_VECTOR_INDEX=auto")
        from retrieval.store.milvus_store import MilvusStore

        return MilvusStore.open(settings)
    backend = vectors.require("faiss" if wanted == "auto" else wanted)
    if backend in _STORE_OWNED:
        raise ConfigError(f"the {backend} vector index lives in its own store — set "
                          f"KABAR_VECTOR_STORE={_STORE_OWNED[backend]} (and "
                          "KABAR_VECTOR_INDEX=auto)")
    return LocalStore(settings.index_dir, backend)
