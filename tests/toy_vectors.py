"""A toy vector index for the tests: numpy brute force, in memory.

It is the worked example of the README's "a new vector index is one class and one registry
line": this class, plus ``BACKENDS["toy"] = (ToyVectorIndex.create, ToyVectorIndex.from_bytes)``
(the tests put that line in with ``monkeypatch``).
"""

from __future__ import annotations

import io

import numpy as np


class ToyVectorIndex:
    """Unit vectors under int64 ids, searched exactly by one matrix product."""

    def __init__(self, dim: int, ids: np.ndarray | None = None,
                 rows: np.ndarray | None = None) -> None:
        self._dim = dim
        self._ids = np.zeros(0, np.int64) if ids is None else ids
        self._rows = np.zeros((0, dim), np.float32) if rows is None else rows

    @classmethod
    def create(cls, dim: int, kind: str = "flat") -> ToyVectorIndex:
        """An empty index; brute force is exact whatever ``kind`` asks."""
        return cls(dim)

    @classmethod
    def from_bytes(cls, data: bytes) -> ToyVectorIndex:
        """Read what :meth:`to_bytes` wrote."""
        saved = np.load(io.BytesIO(data))
        return cls(int(saved["dim"]), saved["ids"], saved["rows"])

    @property
    def kind(self) -> str:
        """Always exact."""
        return "flat"

    @property
    def dim(self) -> int:
        """The vector dimension."""
        return self._dim

    def __len__(self) -> int:
        """Number of vectors."""
        return len(self._ids)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Append vectors under new ids."""
        self._ids = np.concatenate([self._ids, np.asarray(ids, np.int64)])
        self._rows = np.vstack([self._rows, np.asarray(vectors, np.float32)])

    def remove(self, ids: np.ndarray) -> None:
        """Drop the rows of ``ids``."""
        keep = ~np.isin(self._ids, ids)
        self._ids, self._rows = self._ids[keep], self._rows[keep]

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best ids by inner product, best first (ties by id)."""
        scores = self._rows @ np.asarray(query, np.float32)
        order = np.lexsort((self._ids, -scores))[:max(k, 0)]
        return self._ids[order], scores[order]

    def vectors(self, ids: np.ndarray) -> np.ndarray:
        """The rows of ``ids``."""
        where = {int(i): n for n, i in enumerate(self._ids)}
        return self._rows[[where[int(i)] for i in ids]].reshape(-1, self._dim)

    def to_bytes(self) -> bytes:
        """An ``.npz`` of the ids and rows."""
        out = io.BytesIO()
        np.savez(out, dim=self._dim, ids=self._ids, rows=self._rows)
        return out.getvalue()
