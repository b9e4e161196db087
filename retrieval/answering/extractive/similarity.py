"""Abstaining on meaning: the best sentence says something other than what was asked.

Word overlap alone lets a sentence that shares the question's words but not its meaning
answer it; a question whose best sentence is far from it in the embedding model's space is
about something the articles do not report. The floor is a tuned constant per model
(:attr:`retrieval.tuning.Tuning.min_similarity`), calibrated with
``benchmarks/calibrate_abstention.py --similarity`` on FacQA train; for a model without one
(the hashing embedder, the English-only MiniLM, whose similarities across languages mean
little) the check is off.
"""

from __future__ import annotations

import numpy as np

from retrieval.answering.context import ReadContext
from retrieval.answering.writer import Window
from retrieval.search import Query

__all__ = ["similarity", "unrelated"]


def similarity(context: ReadContext, query: Query, window: Window) -> float:
    """The cosine similarity of the question and the closest sentence of ``window``."""
    first, last = min(window.sentences), max(window.sentences)
    rows = context.view.sentence_vectors(first, last + 1)
    if not len(rows):
        return 0.0
    return float(np.max(rows @ query.vector.astype(np.float32)))


def unrelated(context: ReadContext, query: Query, window: Window) -> bool:
    """Whether ``window`` is too far in meaning from the question to answer it (never, for
    a model with no calibrated floor)."""
    floor = context.tuning.similarity_floor
    return floor is not None and similarity(context, query, window) < floor
