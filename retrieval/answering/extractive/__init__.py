"""The extractive writer: quote the articles' own sentences that answer, and cite them.

The sentences of the best-matching articles are scored against the question: how much of
the question's concepts (idf-weighted, in either language) a sentence covers, with names the
article states elsewhere counting for most of theirs; how close together they sit; the
sentence vector's similarity; and the retrieval score of its passage (:mod:`.choose`). Two
adjacent sentences may be read together when the second completes the first, and a quoted
sentence keeps the "However, ..." sentence that follows it. The gate
(:mod:`retrieval.answering.gate`) uses this reading to decide whether to answer; when it
does, the best few windows, without near-duplicates, are quoted verbatim and numbered by
article (:mod:`.compose`), a factoid question's short answer first (:mod:`.lead`). Another
article is cited only when it covers the question as fully as the best one, and then each
report is labelled with its own date.

Exports: ``ExtractiveWriter``.
"""

from __future__ import annotations

from retrieval.answering.extractive.compose import compose
from retrieval.answering.writer import Decision, Evidence
from retrieval.types import Answer

__all__ = ["ExtractiveWriter"]


class ExtractiveWriter:
    """Answers with verbatim sentences of the articles: the windows the gate found."""

    name = "extractive"

    def write(self, evidence: Evidence, decision: Decision) -> Answer:
        """Quote the answering windows, the short answer (if any) first."""
        return compose(evidence, list(decision.windows), decision.lead)
