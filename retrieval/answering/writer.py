"""The answer-writer seam: question + retrieved evidence → :class:`~retrieval.types.Answer`.

The engine retrieves; a writer decides whether the evidence answers the question and writes
the answer with numbered citations. :class:`~retrieval.answering.extractive.ExtractiveWriter`
quotes the articles' own sentences; another writer (an LLM's, say) is one more class that
passes ``tests/contracts/test_contracts.py``, registered in :data:`retrieval.answering.WRITERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from retrieval.search import Hit, Query, Searcher
from retrieval.types import Answer, Passage

__all__ = ["AnswerWriter", "Evidence"]


@dataclass(frozen=True)
class Evidence:
    """What a writer gets.

    Attributes:
        question: The question as asked (cleaned, possibly cut).
        query: Its analysis (language, concepts, vector).
        hits: The retrieved chunks the answer may draw on, best first.
        passages: The top passages reported with the answer.
        searcher: The search over the loaded version: its index view and term caches.
        cut_to: The length the question was cut to, or ``None``.
        on_text: Called with the text written so far while a writer that streams (the LLM
            writer) is still writing; front ends show it until the answer is final.
    """

    question: str
    query: Query
    hits: tuple[Hit, ...]
    passages: tuple[Passage, ...]
    searcher: Searcher
    cut_to: int | None = None
    on_text: Callable[[str], None] | None = None

    def abstain(self, reason: str = "not_found") -> Answer:
        """The answer that says the articles do not answer the question."""
        return Answer(self.question, "", True, self.query.lang, (), self.passages,
                      cut_to=self.cut_to, reason=reason)


class AnswerWriter(Protocol):
    """Writes the answer to a question from retrieved evidence."""

    @property
    def name(self) -> str:
        """A short name (``"extractive"``), reported with each answer."""
        ...

    def write(self, evidence: Evidence) -> Answer:
        """The answer, abstained when the evidence does not answer the question.

        Every ``[n]`` in ``Answer.text`` must be the ``n`` of one of ``Answer.citations``,
        and every citation's quote must come from the index.
        """
        ...
