"""Building the BM25 matrix of the chunks with bm25s.

bm25s precomputes every (term, chunk) BM25 weight into a sparse column-per-term matrix; a
query then only adds up the columns of its terms (:mod:`retrieval.search.bm25_scoring`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from retrieval.store.bm25_matrix import BM25Index

__all__ = ["build_bm25"]


def build_bm25(docs: Sequence[Sequence[str]], k1: float, b: float) -> BM25Index:
    """Index tokenised documents (one list of terms per chunk, in chunk order).

    Args:
        docs: The terms of each chunk.
        k1: BM25's term-frequency saturation.
        b: BM25's length normalisation.
    """
    import bm25s

    # bm25s sets its own logger to DEBUG on import; its chatter is not for our users.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
    if not docs:
        return BM25Index.empty()
    # An empty document still needs a row so that chunk numbers line up.
    retriever = bm25s.BM25(k1=k1, b=b, method="lucene")
    retriever.index([list(d) for d in docs], show_progress=False)
    scores = retriever.scores
    columns = len(scores["indptr"]) - 1
    # bm25s adds an empty-string token with no column; keep only real columns.
    vocab = {t: i for t, i in retriever.vocab_dict.items() if t and i < columns}
    return BM25Index(
        vocab=vocab,
        data=np.asarray(scores["data"], dtype=np.float32),
        indices=np.asarray(scores["indices"], dtype=np.int32),
        indptr=np.asarray(scores["indptr"], dtype=np.int64),
        num_docs=int(scores["num_docs"]),
    )
