"""The chunk rows of every version in one collection, each row saying which versions hold it.

A generation's rows live in ``<alias>_rows_<generation>``: the row key (``chunk_id``), the
dense vector, in the hybrid mode BM25's term-frequency part as a sparse vector, and ``born``
and ``died``, the sequence numbers (:func:`seq_of`) of the version that added the row and of
the one that removed it (:data:`ALIVE` until then). Version ``s`` holds the rows with
``born <= s < died``; a reader filters every search on that, so what a publish adds (rows
born later) or removes (rows that die later) is invisible to readers of older versions.

A publish writes only the rows of added and changed articles and marks the rows of removed
ones: a chunk's row key is derived from its article (id and content hash), its place in the
article and what its vector depends on (:func:`fingerprint`), so an unchanged chunk keeps
its row. The row holds no corpus-wide statistic: the sparse vector is BM25's term part
(the weight over the term's IDF) and a question's terms carry the IDF of the version read.

A build that is killed leaves rows born after the published version and rows marked dead by
a version never published; the next build removes the first and revives the second
(:func:`clean`) before it writes. Rows no kept version holds are deleted after each publish
(:func:`collect`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrieval.store import milvus_caps
from retrieval.store.bm25_matrix import BM25Index
from retrieval.store.data import StoredArticle
from retrieval.store.manifest import Manifest
from retrieval.store.milvus import MilvusHybridIndex, RowView, open_index, row_sums, sparse_row

__all__ = ["ALIVE", "Plan", "clean", "collect", "fingerprint", "idf", "natural_keys", "plan",
           "prepare", "rollback", "seq_of", "visible", "wait_visible", "warm_up", "write"]

#: ``died`` of a row no version removed.
ALIVE = 1 << 62
_MASK = (1 << 62) - 1
_BATCH = 1000  # rows per insert, get or upsert: well under gRPC's 64 MB at dim 1024
_LIMIT = 16_384  # Milvus' largest query result
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def seq_of(version: str) -> int:
    """A version's sequence number: microseconds since 1970 of its name's time stamp
    (names sort in build order, and so do these)."""
    stamp = dt.datetime.strptime(version[1:22], "%Y%m%dT%H%M%S%f").replace(tzinfo=dt.UTC)
    return (stamp - _EPOCH) // dt.timedelta(microseconds=1)


def visible(seq: int) -> str:
    """The filter of version ``seq``'s rows."""
    return f"born <= {seq} and died > {seq}"


def fingerprint(manifest: Manifest, mode: str) -> str:
    """What a row depends on besides its article: the model and chunking (its vector), the
    BM25 settings (its term weights), the vector index and the mode. Rows of another
    fingerprint are never reused: a new generation starts."""
    basis = {"model": manifest.model, "dim": manifest.dim, "prompt": manifest.passage_prompt,
             "chunker": manifest.chunker, "analysis": manifest.analysis,
             "kind": manifest.vector_kind, "mode": mode}
    return hashlib.sha256(json.dumps(basis, sort_keys=True, default=str).encode()).hexdigest()


def natural_keys(articles: Sequence[StoredArticle], num_chunks: int, basis: str
                 ) -> np.ndarray:
    """Each chunk's key, in chunk order: its article's id and content, its place there."""
    keys = np.zeros(num_chunks, np.int64)
    for article in articles:
        seed = hashlib.sha256(f"{basis}\0{article.doc_id}\0{article.content_hash}".encode())
        base = int.from_bytes(seed.digest()[:8], "little") & _MASK
        keys[article.chunk_lo:article.chunk_hi] = \
            (base + np.arange(article.chunk_hi - article.chunk_lo, dtype=np.int64)) & _MASK
    return keys


def idf(bm25: BM25Index) -> np.ndarray:
    """Each column's IDF, as BM25 (Lucene's variant, which bm25s computes) weighs it."""
    df = np.diff(bm25.indptr).astype(np.float64)
    n = float(bm25.num_docs)
    return np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)


@dataclass(frozen=True)
class Plan:
    """What a publish writes.

    Attributes:
        table: One row per chunk, uint64: natural key, row key, dense and sparse checksums
            (:func:`~retrieval.store.milvus.row_sums`); stored with the version.
        fresh: The chunks whose rows are written.
        dead: The row keys of the version before that this one no longer holds.
    """

    table: np.ndarray
    fresh: np.ndarray
    dead: np.ndarray


def plan(client: Any, name: str, keys: np.ndarray, before: np.ndarray | None) -> Plan:
    """Reuse the rows of ``before`` (the previous version's table) whose natural key is in
    ``keys``; the other chunks get new rows, under keys no row in ``name`` has."""
    table = np.zeros((len(keys), 4), np.uint64)
    table[:, 0] = table[:, 1] = keys.astype(np.uint64)
    fresh = np.arange(len(keys))
    dead = np.zeros(0, np.int64)
    if before is not None and len(before):
        order = np.argsort(before[:, 0], kind="stable")
        at = np.searchsorted(before[order, 0], table[:, 0]).clip(0, len(order) - 1)
        match = before[order[at], 0] == table[:, 0]
        table[match, 1:] = before[order[at[match]], 1:]
        fresh = np.flatnonzero(~match)
        dead = before[~np.isin(before[:, 1], table[match, 1]), 1].astype(np.int64)
    _unique_keys(client, name, table, fresh)
    return Plan(table, fresh, dead)


def _unique_keys(client: Any, name: str, table: np.ndarray, fresh: np.ndarray) -> None:
    """Give fresh rows keys no row of the collection has (an article removed, then added
    again unchanged, still has its old row until no kept version holds it)."""
    todo, salt = fresh, 0
    while len(todo):
        held = set()
        for lo in range(0, len(todo), _BATCH):
            ids = table[todo[lo:lo + _BATCH], 1].astype(np.int64).tolist()
            held |= {int(r["chunk_id"]) for r in client.get(name, ids=ids,
                                                          output_fields=["chunk_id"])}
        todo = np.array([i for i in todo if int(table[i, 1]) in held], np.int64)
        salt += 1
        for i in todo:
            digest = hashlib.sha256(f"{int(table[i, 0])}:{salt}".encode()).digest()
            table[i, 1] = int.from_bytes(digest[:8], "little") & _MASK


def prepare(work: Plan, dense: np.ndarray, bm25: BM25Index, mode: str
            ) -> list[dict[int, float]]:
    """The fresh rows' sparse vectors (BM25's term part; empty in the dense mode), their
    checksums filled into ``work.table``."""
    fresh = work.fresh
    terms = _term_rows(bm25, fresh) if mode == milvus_caps.HYBRID else [{} for _ in fresh]
    keys = work.table[fresh, 1].astype(np.int64)
    work.table[fresh, 2:] = row_sums(keys.tolist(), dense[fresh], terms)
    return terms


def write(client: Any, name: str, work: Plan, dense: np.ndarray,
          terms: Sequence[Mapping[int, float]], seq: int, mode: str) -> None:
    """Insert the fresh rows (born ``seq``) and mark the dead ones (died ``seq``); then
    flush."""
    fresh = work.fresh
    hybrid = mode == milvus_caps.HYBRID
    keys = work.table[fresh, 1].astype(np.int64)
    for lo in range(0, len(fresh), _BATCH):
        rows = [{"chunk_id": int(keys[j]), "born": seq, "died": ALIVE,
                 "dense": dense[fresh[j]]} for j in range(lo, min(lo + _BATCH, len(fresh)))]
        if hybrid:
            for j, row in enumerate(rows, lo):
                row["sparse"] = sparse_row(terms[j])
        client.insert(name, rows)
    _set_died(client, name, work.dead.tolist(), seq, hybrid)
    client.flush(name)


def _term_rows(bm25: BM25Index, chunks: np.ndarray) -> list[dict[int, float]]:
    """BM25's term part of ``chunks``: each weight over its column's IDF."""
    from scipy.sparse import csc_matrix

    columns = len(bm25.indptr) - 1
    scaled = bm25.data / np.maximum(np.repeat(idf(bm25), np.diff(bm25.indptr)), 1e-30)
    rows = csc_matrix((scaled.astype(np.float32), bm25.indices, bm25.indptr),
                      shape=(bm25.num_docs, columns))[np.asarray(chunks, np.int64)].tocsr()
    return [dict(zip(rows.indices[rows.indptr[i]:rows.indptr[i + 1]].tolist(),
                     rows.data[rows.indptr[i]:rows.indptr[i + 1]].tolist(), strict=True))
            for i in range(len(chunks))]


def _set_died(client: Any, name: str, keys: Sequence[int], died: int, hybrid: bool) -> None:
    """Rewrite rows with another ``died`` (an upsert replaces a whole row)."""
    fields = ["chunk_id", "born", "dense"] + (["sparse"] if hybrid else [])
    for lo in range(0, len(keys), _BATCH):
        rows = client.get(name, ids=list(keys[lo:lo + _BATCH]), output_fields=fields)
        if rows:
            client.upsert(name, [{**{f: row[f] for f in fields}, "died": died}
                                 for row in rows])


def wait_visible(client: Any, name: str, seq: int, count: int, timeout: float) -> None:
    """Wait until a reader of version ``seq`` sees its ``count`` rows (a server shows new
    rows to other clients a moment after they are written).

    Raises:
        TimeoutError: It does not within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        rows = client.query(name, filter=visible(seq), output_fields=["count(*)"])
        if int(rows[0]["count(*)"]) == count:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"version {seq} shows {rows[0]['count(*)']} of {count} rows")
        time.sleep(0.2)


def warm_up(client: Any, name: str, work: Plan, dense: np.ndarray, seq: int, mode: str
            ) -> None:
    """One search of the new version: the first search of new rows builds Milvus' posting
    lists (seconds at 20k chunks), better done before the alias switch than by a replica."""
    if not len(work.table):
        return
    view = RowView(seq, work.table[:, 1].astype(np.int64))
    index = open_index(client, name, dense.shape[1], "flat", mode, None, view)
    if isinstance(index, MilvusHybridIndex):
        index.hybrid(dense[0], {0: 1.0}, 1, 1)
    else:
        index.search(dense[0], 1)


def clean(client: Any, name: str, published: int, hybrid: bool) -> None:
    """Undo what builds that never published left: rows born after ``published`` go, rows
    they marked dead live again."""
    _delete_where(client, name, f"born > {published}")
    while True:
        rows = client.query(name, filter=f"died > {published} and died < {ALIVE}",
                            output_fields=["chunk_id"], limit=_LIMIT)
        if not rows:
            return
        _set_died(client, name, [int(r["chunk_id"]) for r in rows], ALIVE, hybrid)
        client.flush(name)
        if len(rows) < _LIMIT:
            return


def rollback(client: Any, name: str, seq: int, hybrid: bool) -> None:
    """Undo what this build wrote as version ``seq`` (when it fails before publishing)."""
    _delete_where(client, name, f"born == {seq}")
    rows = client.query(name, filter=f"died == {seq}", output_fields=["chunk_id"],
                        limit=_LIMIT)
    _set_died(client, name, [int(r["chunk_id"]) for r in rows], ALIVE, hybrid)


def collect(client: Any, name: str, oldest: int) -> None:
    """Delete the rows no version from ``oldest`` on holds (they died at or before it)."""
    _delete_where(client, name, f"died <= {oldest}")


def _delete_where(client: Any, name: str, expr: str) -> None:
    # By key: older servers delete by primary key only. A bigger leftover is finished by the
    # next build.
    rows = client.query(name, filter=expr, output_fields=["chunk_id"], limit=_LIMIT)
    if rows:
        client.delete(name, ids=[int(r["chunk_id"]) for r in rows])

