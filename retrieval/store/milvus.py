"""Milvus: the chunk collection's schema, and its vector index.

:class:`MilvusVectorIndex` is the Milvus implementation of
:class:`~retrieval.store.vectors.VectorIndex` (registered in its ``BACKENDS``). Where Milvus
holds sparse vectors (2.4+, Lite: :mod:`retrieval.store.milvus_caps`) the collection also
holds each chunk's BM25 weights and :class:`MilvusHybridIndex` runs the dense and sparse
searches as one hybrid search; elsewhere (a 2.3 server) the collection is dense only and the
BM25 side is scored in this process, as with FAISS. The store of whole versions is
:mod:`retrieval.store.milvus_store`.

pymilvus is imported only when Milvus is used; the client (one per URI, every call bounded by
``KABAR_MILVUS_TIMEOUT``) is :mod:`retrieval.store.milvus_client`, re-exported here.
"""

from __future__ import annotations

import functools
import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrieval.errors import CorruptIndexError
from retrieval.store import milvus_caps
from retrieval.store.disk import REBUILD
from retrieval.store.milvus_client import (
    check_installed,
    connect,
    install_hint,
    is_lite,
    session_client,
    session_mode,
    shown_uri,
    use,
)

__all__ = ["MilvusHybridIndex", "MilvusVectorIndex", "RowView", "check_installed", "connect",
           "create_chunk_collection", "install_hint", "is_lite", "open_index", "row_sums",
           "shown_uri", "sparse_row", "use"]

#: A sparse dimension no term ever gets: a chunk without BM25 terms needs one non-zero weight
#: (Milvus rejects empty sparse vectors), and no query asks for this one.
SENTINEL_TERM = 4_294_967_294
#: Graph parameters: the same as FAISS's HNSW (:mod:`retrieval.store.vectors`).
_HNSW = {"M": 32, "efConstruction": 80}
#: Milvus's beam, lower than FAISS's 512: on the 2.3 server it already reached recall@10
#: 0.981 against exact search at 1M realistic vectors (docs/milvus.md), where FAISS's graph
#: needed 512 for 0.976.
_EF_SEARCH = 128
_BATCH = 1000  # rows per insert or get: well under gRPC's 64 MB message limit at dim 1024


def create_chunk_collection(client: Any, name: str, dim: int, kind: str,
                            mode: str = milvus_caps.HYBRID, versioned: bool = False) -> None:
    """An empty chunk collection: int64 id, dense vector (exact or HNSW) and, in the
    hybrid mode, BM25 weights; ``versioned`` adds the ``born`` and ``died`` fields that say
    which versions hold a row (:mod:`retrieval.store.milvus_rows`)."""
    from pymilvus import DataType, MilvusClient

    if kind not in ("flat", "hnsw"):
        raise ValueError(f"unknown vector index kind {kind!r}")
    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False,
                                        description=f"kabar chunks ({kind})")
    schema.add_field("chunk_id", DataType.INT64, is_primary=True)
    if versioned:
        schema.add_field("born", DataType.INT64)
        schema.add_field("died", DataType.INT64)
    schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
    hybrid = mode == milvus_caps.HYBRID
    if hybrid:
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
    params = client.prepare_index_params()
    # Inner product on unit vectors: the same scores as FAISS's IndexFlatIP.
    if kind == "hnsw":
        params.add_index("dense", index_type="HNSW", metric_type="IP", params=_HNSW)
    else:
        params.add_index("dense", index_type="FLAT", metric_type="IP")
    if hybrid:
        params.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    client.create_collection(name, schema=schema, index_params=params)


def open_index(client: Any, collection: str, dim: int, kind: str, mode: str,
               sums: np.ndarray | None = None, view: RowView | None = None
               ) -> MilvusVectorIndex:
    """The chunk collection's index: :class:`MilvusHybridIndex` in the hybrid mode."""
    cls = MilvusHybridIndex if mode == milvus_caps.HYBRID else MilvusVectorIndex
    return cls(client, collection, dim, kind, sums, view)


@dataclass(frozen=True)
class RowView:
    """One version's rows in a collection every version shares: chunk ``i`` is the row
    ``keys[i]``, and the version holds the rows with ``born <= seq < died``.

    Attributes:
        seq: The version's sequence number (:func:`retrieval.store.milvus_rows.seq_of`).
        keys: The row key of each chunk, in chunk order.
        idf: Each BM25 column's IDF: the rows hold BM25's term-frequency part only (so a
            row does not change when other chunks do), a question's terms carry the IDF.
    """

    seq: int
    keys: np.ndarray
    idf: np.ndarray | None = None

    @property
    def filter(self) -> str:
        """The rows of this version."""
        return f"born <= {self.seq} and died > {self.seq}"

    def positions(self, keys: np.ndarray) -> np.ndarray:
        """The chunk of each row key; -1 for a row this version does not hold."""
        order = self._order
        at = np.searchsorted(self.keys, keys, sorter=order).clip(0, max(len(order) - 1, 0))
        found = order[at] if len(order) else np.zeros(len(keys), np.int64)
        ok = self.keys[found] == keys if len(order) else np.zeros(len(keys), bool)
        return np.where(ok, found, -1)

    @functools.cached_property
    def _order(self) -> np.ndarray:
        return np.argsort(self.keys, kind="stable")


class MilvusVectorIndex:
    """Chunk vectors in one Milvus collection (dense only: the BM25 side is scored in this
    process, as with FAISS; :class:`MilvusHybridIndex` holds it in Milvus).

    Args:
        client: A ``MilvusClient``.
        collection: The collection (or an alias of it).
        dim: The vector dimension.
        kind: ``"flat"`` or ``"hnsw"``.
        sums: The version's :func:`row_sums`; when given, every vector read back is checked
            against its row's sum, and :meth:`verify_rows` can check every row.
        view: The version's rows when every version shares the collection (chunk ids are
            then positions in the version, mapped to row keys); ``None``: ids are row keys.
    """

    #: How questions search it (:mod:`retrieval.store.milvus_caps`).
    mode = milvus_caps.DENSE

    def __init__(self, client: Any, collection: str, dim: int, kind: str,
                 sums: np.ndarray | None = None, view: RowView | None = None) -> None:
        self._client = client
        self.collection = collection
        self._dim = dim
        self._kind = kind
        self._sums = sums
        self.view = view
        self._filter = view.filter if view is not None else ""

    def _keys(self, ids: np.ndarray) -> np.ndarray:
        """The row keys of chunk ids."""
        if self.view is None:
            return ids
        if len(ids) and (ids.min() < 0 or ids.max() >= len(self.view.keys)):
            raise self._damage("a chunk id is out of range")
        return self.view.keys[ids]

    def _ids(self, keys: np.ndarray) -> np.ndarray:
        """The chunk ids of row keys (a row this version does not hold is damage)."""
        if self.view is None:
            return keys
        ids = self.view.positions(keys)
        if (ids < 0).any():
            raise self._damage(f"row {int(keys[ids < 0][0])} belongs to no chunk")
        return ids

    @classmethod
    def create(cls, dim: int, kind: str = "flat") -> MilvusVectorIndex:
        """A new, empty collection in this process's Milvus (see :func:`use`)."""
        client, mode = session_client(), session_mode()
        name = f"kabar_scratch_{uuid.uuid4().hex}"
        create_chunk_collection(client, name, dim, kind, mode)
        return open_index(client, name, dim, kind, mode)

    @classmethod
    def from_bytes(cls, data: bytes) -> MilvusVectorIndex:
        """Reopen the collection :meth:`to_bytes` named, in this process's Milvus."""
        ref = json.loads(data)
        client = session_client()
        client.load_collection(ref["collection"])  # a reopened collection is not loaded
        return open_index(client, str(ref["collection"]), int(ref["dim"]), str(ref["kind"]),
                          str(ref.get("mode", milvus_caps.HYBRID)))

    @property
    def search_mode(self) -> str:
        """How a question searches this collection, for ``kabar status``."""
        return milvus_caps.MODES[self.mode]

    @property
    def kind(self) -> str:
        """``"flat"`` or ``"hnsw"``."""
        return self._kind

    @property
    def dim(self) -> int:
        """The vector dimension."""
        return self._dim

    def __len__(self) -> int:
        """Number of chunks in the collection."""
        rows = self._read("query", filter=self._filter, output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def add(self, ids: np.ndarray, vectors: np.ndarray,
            sparse: Sequence[Mapping[int, float]] | None = None) -> None:
        """Add chunks under new ids, with their BM25 weights when given."""
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        hybrid = self.mode == milvus_caps.HYBRID
        for lo in range(0, len(ids), _BATCH):
            rows = [{"chunk_id": int(ids[i]), "dense": vectors[i]}
                    for i in range(lo, min(lo + _BATCH, len(ids)))]
            if hybrid:
                for j, row in enumerate(rows, lo):
                    row["sparse"] = sparse_row(sparse[j] if sparse is not None else {})
            self._client.insert(self.collection, rows)
        # Unflushed rows are searched by brute force, 10-1000x slower.
        self._client.flush(self.collection)

    def remove(self, ids: np.ndarray) -> None:
        """Remove chunks; unknown ids are ignored."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids):
            self._client.delete(self.collection, ids=[int(i) for i in ids])
            self._client.flush(self.collection)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best ids and inner products, best first."""
        if k <= 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        hits = self._read(
            "search", data=[np.asarray(query, dtype=np.float32).tolist()],
            anns_field="dense", limit=k, output_fields=["chunk_id"], filter=self._filter,
            search_params=self._dense_params(k))[0]
        return (self._ids(np.array([h.id for h in hits], dtype=np.int64)),
                np.array([h.distance for h in hits], dtype=np.float32))

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of ``ids`` (fetched from Milvus)."""
        ids = np.asarray(ids, dtype=np.int64)
        keys = self._keys(ids)
        out = np.zeros((len(ids), self._dim), np.float32)
        for lo in range(0, len(ids), _BATCH):
            part = [int(i) for i in keys[lo:lo + _BATCH]]
            got = {int(r["chunk_id"]): r["dense"] for r in self._read(
                "get", ids=part, output_fields=["dense"])}
            for j, i in enumerate(part):
                if i in got:
                    out[lo + j] = got[i]
                elif self._sums is not None:
                    raise self._damage(f"chunk {int(ids[lo + j])} is missing")
        self._check(ids, out)
        return out

    def verify_rows(self) -> None:
        """Check every row (id, vector, BM25 weights) against the version's sums.

        Raises:
            CorruptIndexError: A row is missing, extra or altered.
        """
        if self._sums is None:
            return
        n, held = len(self._sums), len(self)
        # A dense collection holds no BM25 weights: those are checked with the version's
        # files (their checksums).
        columns = [0, 1] if self.mode == milvus_caps.HYBRID else [0]
        if held != n:
            raise self._damage(f"it holds {held} chunks, not {n}")
        keys = self._keys(np.arange(n, dtype=np.int64))
        fields = ["dense", "sparse"][:len(columns)]
        for lo in range(0, n, _BATCH):
            got = self._read("get", ids=keys[lo:lo + _BATCH].tolist(), output_fields=fields)
            if len(got) != min(_BATCH, n - lo):
                raise self._damage(f"chunks {lo}-{min(lo + _BATCH, n) - 1} are incomplete")
            for row in got:
                key = int(row["chunk_id"])
                i = int(self._ids(np.array([key], np.int64))[0])
                sums = row_sums([key], [row["dense"]], [row.get("sparse", {})])[0]
                if not np.array_equal(sums[columns], self._sums[i, columns]):
                    raise self._damage(f"chunk {i} does not match its checksum")

    def _read(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """A read of the collection; one that finds it not loaded (a restarted server
        loads nothing until asked) loads it and tries again."""
        call = getattr(self._client, method)
        try:
            return call(self.collection, *args, **kwargs)
        except Exception as exc:
            if "not loaded" not in str(getattr(exc, "message", "") or exc).lower():
                raise
        self._client.load_collection(self.collection)
        return call(self.collection, *args, **kwargs)

    def _check(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if self._sums is None:
            return
        keys = self._keys(ids).tolist()
        for i, key, vector in zip(ids.tolist(), keys, vectors, strict=True):
            if not 0 <= i < len(self._sums) or \
                    _dense_sum(key, vector) != int(self._sums[i, 0]):
                raise self._damage(f"chunk {i} does not match its checksum")

    def _damage(self, what: str) -> CorruptIndexError:
        return CorruptIndexError(f"the Milvus collection {self.collection} is damaged "
                                 f"({what}) — {REBUILD}")

    def to_bytes(self) -> bytes:
        """A reference to the collection (never the URI's token)."""
        return json.dumps({"collection": self.collection, "dim": self._dim,
                           "kind": self._kind, "mode": self.mode}).encode("utf-8")

    def _dense_params(self, k: int) -> dict[str, Any]:
        if self._kind == "hnsw":
            return {"metric_type": "IP", "params": {"ef": max(_EF_SEARCH, k)}}
        return {"metric_type": "IP"}


class MilvusHybridIndex(MilvusVectorIndex):
    """Chunk vectors and BM25 weights in one Milvus collection, searched together by one
    hybrid search (Milvus 2.4+ and Lite)."""

    mode = milvus_caps.HYBRID

    def hybrid(self, query: np.ndarray, terms: Mapping[int, float], dense_k: int,
               sparse_k: int) -> tuple[np.ndarray, np.ndarray]:
        """One hybrid search: the ids and vectors of the ``dense_k`` nearest vectors and
        the ``sparse_k`` best BM25 scores for ``terms`` (column -> weight), in one call.

        Either side is left out when its count is 0 (or ``terms`` is empty).
        """
        from pymilvus import AnnSearchRequest, RRFRanker

        requests = []
        expr = self._filter or None
        if dense_k > 0:
            requests.append(AnnSearchRequest(
                data=[np.asarray(query, dtype=np.float32).tolist()], anns_field="dense",
                param=self._dense_params(dense_k), limit=dense_k, expr=expr))
        idf = self.view.idf if self.view is not None else None
        weights = {int(t): float(w) * (float(idf[t]) if idf is not None else 1.0)
                   for t, w in terms.items() if w > 0}
        if sparse_k > 0 and weights:
            requests.append(AnnSearchRequest(data=[weights], anns_field="sparse",
                                             param={"metric_type": "IP"}, limit=sparse_k,
                                             expr=expr))
        if not requests:
            return np.zeros(0, np.int64), np.zeros((0, self._dim), np.float32)
        # The ranker only unions the two lists (their sizes add up to the limit); the scores
        # are fused by Kabar itself, as with FAISS.
        hits = self._read("hybrid_search", requests, RRFRanker(60),
                                          limit=dense_k + sparse_k,
                                          output_fields=["dense"])[0]
        # The vectors come with the hits: fusing needs them, and a second call costs more.
        ids = self._ids(np.array([h.id for h in hits], dtype=np.int64))
        vectors = np.array([h["entity"]["dense"] for h in hits], np.float32
                           ).reshape(-1, self._dim)
        self._check(ids, vectors)  # only what this answer uses: a few dozen hashes
        return ids, vectors


def row_sums(ids: Sequence[int], dense: Sequence[Any] | np.ndarray,
             sparse: Sequence[Mapping[int, float]]) -> np.ndarray:
    """Each chunk row's checksums, as Milvus stores it: 8 bytes of SHA-256 over its id and
    dense vector (float32), and over its id and BM25 weights (as :meth:`~MilvusVectorIndex.add`
    sends them: positive float32 weights by term, or the sentinel).

    Returns:
        An ``(n, 2)`` uint64 array: dense, sparse.
    """
    out = np.zeros((len(ids), 2), np.uint64)
    for row, (i, vector, weights) in enumerate(zip(ids, dense, sparse, strict=True)):
        terms = sorted(sparse_row(weights).items())
        out[row, 0] = _dense_sum(int(i), vector)
        out[row, 1] = _digest(int(i), np.array([t for t, _ in terms], np.uint32),
                              np.array([w for _, w in terms], np.float32))
    return out


def _dense_sum(chunk_id: int, vector: Any) -> int:
    return _digest(chunk_id, np.asarray(vector, np.float32))


def _digest(chunk_id: int, *arrays: np.ndarray) -> int:
    h = hashlib.sha256(chunk_id.to_bytes(8, "little", signed=True))
    for array in arrays:
        h.update(np.ascontiguousarray(array).tobytes())
    return int.from_bytes(h.digest()[:8], "little")


def sparse_row(weights: Mapping[int, float]) -> dict[int, float]:
    """BM25 weights as Milvus stores them: the positive ones, or the sentinel."""
    row = {int(t): float(w) for t, w in weights.items() if w > 0}
    return row or {SENTINEL_TERM: 1e-30}
