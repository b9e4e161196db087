"""Answering: retrieved evidence → a decision → an answer with numbered citations.

The fourth stage, in two steps. The gate (:func:`judge`, :mod:`.gate`) decides from the
:class:`Evidence` whether the articles answer the question (names the answering report does
not mention, coverage, the best sentence's meaning similarity); when they do not, the engine returns
the :func:`abstention` and no writer runs. Otherwise an :class:`AnswerWriter` (the seam,
:mod:`.writer`) writes the answer from the evidence and the gate's :class:`Decision`.
Writers read the loaded index through a narrow :class:`ReadContext` (:mod:`.context`),
never the searcher.

:class:`ExtractiveWriter` (:mod:`.extractive`) quotes the articles' own sentences.
:class:`LlmWriter` (:mod:`.llm`) has an LLM write the answer over an OpenAI-compatible API
and shows only the sentences the cited passages support, the chosen writer as its fallback.
What both read in text (dates, numbers, spans, report names) is in :mod:`.common`.
:func:`writer_for` builds the writer the settings ask for.

Exports: ``AnswerWriter``, ``Decision``, ``Evidence``, ``ExtractiveWriter``, ``LlmWriter``,
``ReadContext``, ``WRITERS``, ``abstention``, ``judge``, ``writer_for``.
"""

from retrieval.answering.context import ReadContext
from retrieval.answering.extractive import ExtractiveWriter
from retrieval.answering.gate import abstention, judge
from retrieval.answering.llm import LlmWriter
from retrieval.answering.news import arrange, within_period
from retrieval.answering.writer import AnswerWriter, Decision, Evidence
from retrieval.config import Settings
from retrieval.errors import ConfigError

#: Answer writers by name, the choices of ``KABAR_ANSWER_WRITER``; each is built with no
#: arguments. A writer runs only when the gate has judged that the articles answer.
WRITERS: dict[str, type[AnswerWriter]] = {"extractive": ExtractiveWriter}


def writer_for(settings: Settings) -> AnswerWriter:
    """The writer ``KABAR_ANSWER_WRITER`` names; with ``KABAR_LLM_URL`` set, the LLM writer
    with that one as its fallback.

    Raises:
        ConfigError: No writer has that name (the one-line message lists the names).
    """
    chosen = WRITERS.get(settings.answer_writer)
    if chosen is None:
        raise ConfigError(f"KABAR_ANSWER_WRITER={settings.answer_writer!r} is not accepted: "
                          f"use one of {', '.join(sorted(WRITERS))}")
    writer = chosen()
    if not settings.llm_url:
        return writer
    from retrieval.answering.llm.chat import OpenAIChat

    return LlmWriter(OpenAIChat(settings.llm_url, settings.llm_model, settings.llm_api_key,
                                settings.llm_timeout, settings.llm_max_tokens,
                                max_chars=settings.llm_max_reply_chars), writer)


__all__ = ["WRITERS", "AnswerWriter", "Decision", "Evidence", "ExtractiveWriter", "LlmWriter",
           "ReadContext", "abstention", "arrange", "judge", "within_period", "writer_for"]
