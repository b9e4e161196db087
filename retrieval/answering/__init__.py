"""Answering: retrieved evidence → an answer with numbered citations.

The fourth stage. An :class:`AnswerWriter` (the seam, :mod:`.writer`) receives the question,
its analysis and the retrieved hits as :class:`Evidence` and returns an
:class:`~retrieval.types.Answer`. :class:`ExtractiveWriter` (:mod:`.extractive`) quotes the
articles' own sentences: coverage decides whether to answer (:mod:`.coverage`), windows of
sentences are scored and picked (:mod:`.choose`) and written out with sources
(:mod:`.compose`). :class:`LlmWriter` (:mod:`.llm`) has an LLM write the answer over an
OpenAI-compatible API (:mod:`.chat`, :mod:`.prompt`) and shows only the sentences the cited
passages support (:mod:`.verify`). :func:`writer_for` picks the writer the settings ask for.

Exports: ``AnswerWriter``, ``Evidence``, ``ExtractiveWriter``, ``LlmWriter``, ``WRITERS``,
``writer_for``.
"""

from retrieval.answering.extractive import ExtractiveWriter
from retrieval.answering.llm import LlmWriter
from retrieval.answering.writer import AnswerWriter, Evidence
from retrieval.config import Settings

#: Answer writers by name.
WRITERS: dict[str, type[AnswerWriter]] = {"extractive": ExtractiveWriter, "llm": LlmWriter}


def writer_for(settings: Settings) -> AnswerWriter:
    """The LLM writer when ``KABAR_LLM_URL`` is set, else the extractive writer."""
    if not settings.llm_url:
        return ExtractiveWriter()
    from retrieval.answering.llm.chat import OpenAIChat

    return LlmWriter(OpenAIChat(settings.llm_url, settings.llm_model, settings.llm_api_key,
                                settings.llm_timeout, settings.llm_max_tokens,
                                max_chars=settings.llm_max_reply_chars))


__all__ = ["WRITERS", "AnswerWriter", "Evidence", "ExtractiveWriter", "LlmWriter", "writer_for"]
