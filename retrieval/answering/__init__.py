"""Answering: retrieved evidence → an answer with numbered citations.

The fourth stage. An :class:`AnswerWriter` (the seam, :mod:`.writer`) receives the question,
its analysis and the retrieved hits as :class:`Evidence` and returns an
:class:`~retrieval.types.Answer`. :class:`ExtractiveWriter` (:mod:`.extractive`) quotes the
articles' own sentences: coverage decides whether to answer (:mod:`.coverage`), windows of
sentences are scored and picked (:mod:`.choose`) and written out with sources
(:mod:`.compose`). :data:`WRITERS` names the writers a configuration can choose.

Exports: ``AnswerWriter``, ``Evidence``, ``ExtractiveWriter``, ``WRITERS``.
"""

from retrieval.answering.extractive import ExtractiveWriter
from retrieval.answering.writer import AnswerWriter, Evidence

#: Answer writers by name.
WRITERS: dict[str, type[AnswerWriter]] = {"extractive": ExtractiveWriter}

__all__ = ["WRITERS", "AnswerWriter", "Evidence", "ExtractiveWriter"]
