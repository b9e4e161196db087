"""The HNSW search beam is the store's setting, also for indexes written with another one.

FAISS keeps ``efSearch`` inside the serialised index, so without resetting it on read a
version built before the setting changed would keep searching with its old, narrower beam.
"""

from __future__ import annotations

import numpy as np

from retrieval.store import vectors as vector_indexes


def _beam(data: bytes) -> int:
    import faiss

    index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
    return int(faiss.downcast_index(index.index).hnsw.efSearch)


def test_new_hnsw_index_searches_with_the_setting() -> None:
    index = vector_indexes.create("faiss", 8, "hnsw")
    assert _beam(index.to_bytes()) == vector_indexes.EF_SEARCH


def test_hnsw_index_written_with_another_beam_reads_with_the_setting() -> None:
    import faiss

    rng = np.random.default_rng(5)
    rows = rng.normal(size=(50, 8)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    index = vector_indexes.create("faiss", 8, "hnsw")
    index.add(np.arange(50, dtype=np.int64), rows)
    raw = faiss.deserialize_index(np.frombuffer(index.to_bytes(), dtype=np.uint8))
    faiss.downcast_index(raw.index).hnsw.efSearch = 16  # as an older build wrote it
    old = bytes(faiss.serialize_index(raw).tobytes())
    assert _beam(old) == 16
    loaded = vector_indexes.load("faiss", old)
    assert _beam(loaded.to_bytes()) == vector_indexes.EF_SEARCH != 16
    assert loaded.kind == "hnsw" and loaded.search(rows[7], 1)[0][0] == 7
