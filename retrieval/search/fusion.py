"""Fusing the BM25 and dense sides, and reranking the head of the list by answer type.

``(1 - w) * bm25 / max_bm25 + w * dense_minmax`` over the union of both candidate lists,
with ``w`` the tuned (or configured) dense weight.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from retrieval.search.qtype import AnswerType, holds

__all__ = ["fuse", "rerank_by_type", "top"]


def fuse(bm25: np.ndarray, dense: np.ndarray, weight: float) -> np.ndarray:
    """Fused scores of candidates given their BM25 scores and dense similarities."""
    b_max = float(bm25.max()) if len(bm25) else 0.0
    b_norm = bm25 / b_max if b_max > 0 else bm25
    if weight > 0 and len(dense) > 1 and float(dense.max() - dense.min()) > 0:
        d_norm = (dense - dense.min()) / (dense.max() - dense.min())
    else:
        d_norm = np.zeros_like(dense)
    fused: np.ndarray = (1 - weight) * b_norm + weight * d_norm
    return fused


def rerank_by_type(fused: np.ndarray, candidates: np.ndarray, kind: AnswerType | None,
                   question: str, text_of: Callable[[int], str], depth: int,
                   bonus: float) -> np.ndarray:
    """Give candidates holding the kind of answer the question wants a bonus (in place).

    Only the ``depth`` best candidates are looked at: a number for "berapa", a date for
    "kapan", a name for "siapa" that the question does not already say.
    """
    if kind is not None and len(fused):
        head = np.argsort(-fused, kind="stable")[:depth]
        for i in head:
            if holds(text_of(int(candidates[i])), kind, question):
                fused[i] += bonus
    return fused


def top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first (ties in index order)."""
    k = min(k, len(scores))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]
