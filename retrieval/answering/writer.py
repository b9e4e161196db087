"""The answer-writer seam: evidence, the gate's decision, and the writer that words it.

The engine retrieves; the gate (:func:`retrieval.answering.gate.judge`) decides whether the
evidence answers the question and, when it does not, the engine abstains without running
any writer; otherwise an :class:`AnswerWriter` writes the answer with numbered citations.
A writer never decides to abstain, so a new one is one class that passes
``tests/contracts/test_contracts.py``, registered in :data:`retrieval.answering.WRITERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from retrieval.answering.context import ReadContext
from retrieval.search import Hit, Query
from retrieval.types import Answer, Passage

__all__ = ["AnswerWriter", "Decision", "Evidence", "Lead", "Window"]


@dataclass(frozen=True)
class Evidence:
    """What the gate and a writer get.

    Attributes:
        question: The question as asked (cleaned, possibly cut).
        query: Its analysis (language, concepts, vector).
        hits: The retrieved chunks the answer may draw on, best first.
        passages: The top passages reported with the answer.
        context: The loaded index version to read (view, tuning, lexicon, term caches).
        cut_to: The length the question was cut to, or ``None``.
        on_text: Called with the text written so far while a writer that streams (the LLM
            writer) is still writing; front ends show it until the answer is final.
        wider: More of the ranking than ``hits`` (``Tuning.report_passages``): where the
            other reports of a story are looked for (:mod:`.news`); ``hits`` when empty.
    """

    question: str
    query: Query
    hits: tuple[Hit, ...]
    passages: tuple[Passage, ...]
    context: ReadContext
    cut_to: int | None = None
    on_text: Callable[[str], None] | None = None
    wider: tuple[Hit, ...] = ()

    def abstain(self, reason: str = "not_found") -> Answer:
        """The answer that says the articles do not answer the question."""
        return Answer(self.question, "", True, self.query.lang, (), self.passages,
                      cut_to=self.cut_to, reason=reason)


@dataclass(frozen=True)
class Window:
    """Sentences that answer: one sentence, or two adjacent ones read together, of one
    article, with how well they match the question."""

    sentences: tuple[int, ...]
    chunk: int
    article: int
    score: float
    lex: float
    terms: frozenset[str]
    hedged: bool = False


@dataclass(frozen=True)
class Lead:
    """The short answer of a factoid question ("Cairo"), found in a window's sentence."""

    text: str
    sentence: int


@dataclass(frozen=True)
class Decision:
    """The gate's judgement of the evidence, made before any writer runs.

    Attributes:
        answers: Whether the evidence answers the question; a writer runs only then.
        reason: Why it does not: ``"not_found"`` or ``"absent"`` ("" when it answers).
        missing: The question's names no answering article mentions (``"absent"``).
        windows: The sentences that answer, best first; with ``"absent"``, the closest
            report's (it is quoted as such); else empty when it does not answer.
        lead: The short answer found in the first window (factoid questions), or ``None``.
    """

    answers: bool
    reason: str = ""
    missing: tuple[str, ...] = ()
    windows: tuple[Window, ...] = ()
    lead: Lead | None = None


class AnswerWriter(Protocol):
    """Writes the answer to a question the gate has judged the evidence answers."""

    @property
    def name(self) -> str:
        """A short name (``"extractive"``), reported with each answer."""
        ...

    def write(self, evidence: Evidence, decision: Decision) -> Answer:
        """The answer, written from ``evidence``; ``decision`` says what the gate found
        (the answering sentences and short answer) for a writer that wants it.

        Every ``[n]`` in ``Answer.text`` must be the ``n`` of one of ``Answer.citations``,
        and every citation's quote must come from the index.
        """
        ...
