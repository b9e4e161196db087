"""The BM25 matrix as stored: every (term, chunk) weight, one sparse column per term.

Built at index time (:mod:`retrieval.building.bm25_weights`) and scored at question time
(:mod:`retrieval.search.bm25_scoring`); here it is only data, its size and its files: a plain
``.npz`` plus a JSON vocabulary.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["BM25Index"]


@dataclass(frozen=True)
class BM25Index:
    """Precomputed BM25 weights in CSC form: column ``vocab[t]`` holds term ``t``'s chunks.

    Attributes:
        vocab: Term -> column.
        data: The weights, column after column.
        indices: The chunk of each weight.
        indptr: Where each column starts in ``data`` (one more entry than columns).
        num_docs: Number of chunks.
    """

    vocab: Mapping[str, int]
    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    num_docs: int

    @classmethod
    def empty(cls) -> BM25Index:
        """An index of no chunks."""
        return cls({}, np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(1, np.int64), 0)

    def column(self, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """The chunks holding ``term`` and their weights, or ``None`` for an unknown term."""
        col = self.vocab.get(term)
        if col is None:
            return None
        lo, hi = self.indptr[col], self.indptr[col + 1]
        return self.indices[lo:hi], self.data[lo:hi]

    def doc_freq(self, term: str) -> int:
        """Number of chunks holding ``term``."""
        col = self.vocab.get(term)
        return 0 if col is None else int(self.indptr[col + 1] - self.indptr[col])

    def to_files(self) -> dict[str, bytes]:
        """The index as file contents: ``bm25.npz`` and ``bm25_vocab.json``."""
        buffer = io.BytesIO()
        np.savez(buffer, data=self.data, indices=self.indices, indptr=self.indptr,
                 num_docs=np.array([self.num_docs]))
        return {"bm25.npz": buffer.getvalue(),
                "bm25_vocab.json": json.dumps(self.vocab).encode("utf-8")}

    @classmethod
    def from_files(cls, files: Mapping[str, bytes]) -> BM25Index:
        """Read an index from the contents :meth:`to_files` returned."""
        with np.load(io.BytesIO(files["bm25.npz"])) as z:
            data, indices, indptr = z["data"], z["indices"], z["indptr"]
            num_docs = int(z["num_docs"][0])
        vocab = json.loads(files["bm25_vocab.json"])
        return cls(vocab, data, indices, indptr, num_docs)
