"""Scoring the stored BM25 matrix for a weighted query.

Adding up the columns of the query's terms directly with numpy costs well under a
millisecond at 100k chunks, where bm25s's own retrieve path takes ~13 ms.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from retrieval.store.bm25_matrix import BM25Index

__all__ = ["bm25_scores"]


def bm25_scores(index: BM25Index, weighted_terms: Mapping[str, float]) -> np.ndarray:
    """BM25 score of every chunk for a query given as term -> weight.

    Args:
        index: The stored matrix.
        weighted_terms: Query terms with their weights (1.0 for the question's own words,
            less for expansions).

    Returns:
        A float32 array with one score per chunk.
    """
    out = np.zeros(index.num_docs, dtype=np.float32)
    for term, weight in weighted_terms.items():
        column = index.column(term)
        if column is not None:
            chunks, values = column
            # Chunk ids are unique within a column, so fancy-index add is exact here.
            out[chunks] += weight * values
    return out
