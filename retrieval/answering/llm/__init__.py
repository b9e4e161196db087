"""The LLM writer: an answer written by a language model, shown only where verified.

Opt-in (``KABAR_LLM_URL``); it wraps the writer ``KABAR_ANSWER_WRITER`` chooses (the
extractive one by default) as its fallback. Like every writer it runs only when the gate
(:mod:`retrieval.answering.gate`) has judged that the articles answer, so an LLM is never
asked what they do not say. The retrieved passages go to the model numbered ``[1]``…``[k]``
(:mod:`.prompt`); its reply is split into sentences and each is kept only if the passages it
cites support it (:mod:`.verify`). The kept sentences, renumbered, are the answer, and each
source quotes the passage sentences that support them. A failed request, a refusal, an empty
reply or a reply of which nothing verifies gives the fallback writer's answer, saying why
in ``Answer.fallback``; so does a server too slow for ``KABAR_LLM_TIMEOUT``, which bounds
the whole call (:mod:`.chat`). A reply longer than ``KABAR_LLM_MAX_REPLY_CHARS`` is read only up
to its last whole sentence within the cap, and a sentence said twice is checked once.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Sequence

from retrieval.answering.common.reports import article_date_text
from retrieval.answering.context import ReadContext
from retrieval.answering.llm.chat import ChatClient
from retrieval.answering.llm.prompt import NOT_FOUND, Block, messages
from retrieval.answering.llm.verify import Claim, Facts, Verdict, check, claims, facts
from retrieval.answering.writer import AnswerWriter, Decision, Evidence
from retrieval.errors import LlmError
from retrieval.types import Answer, Citation

__all__ = ["LlmWriter"]

log = logging.getLogger(__name__)


class LlmWriter:
    """Answers with an LLM's sentences that the cited passages support.

    Args:
        chat: The model behind an OpenAI-compatible API (:class:`~.chat.OpenAIChat`).
        fallback: The writer whose answer is shown whenever the LLM's cannot be (the one
            ``KABAR_ANSWER_WRITER`` chooses).
    """

    name = "llm"

    def __init__(self, chat: ChatClient, fallback: AnswerWriter) -> None:
        self._chat = chat
        self._fallback = fallback

    @property
    def fallback(self) -> AnswerWriter:
        """The writer that answers when the LLM's answer cannot be shown."""
        return self._fallback

    def write(self, evidence: Evidence, decision: Decision) -> Answer:
        """The verified LLM answer, else the fallback writer's (see the module docstring)."""
        context, lang = evidence.context, evidence.query.lang
        chunks = list(dict.fromkeys(h.chunk_id for h in evidence.hits))
        blocks = [_block(context, n, chunk) for n, chunk in enumerate(chunks, 1)]
        try:
            reply = self._chat.complete(messages(evidence.question, lang, blocks),
                                        _accumulating(evidence.on_text))
        except LlmError as exc:
            # The front ends say so (a notice in the CLI, the bot's log): info here.
            log.info("answering without the LLM: %s", exc)
            return dataclasses.replace(self._fallback.write(evidence, decision),
                                       fallback=str(exc))
        sent = {n: facts(context, n, chunk) for n, chunk in enumerate(chunks, 1)}
        verdicts = [check(context, claim, lang, sent) for claim in _distinct(claims(reply))]
        kept = [v for v in verdicts if v.kept]
        dropped = len(verdicts) - len(kept)
        log.info("LLM answer: %d sentences kept, %d dropped (%s)", len(kept), dropped,
                 ", ".join(v.why for v in verdicts if not v.kept) or "none")
        if not kept:
            said_not_found = reply.strip().strip(".").upper() == NOT_FOUND
            why = "the LLM found no answer in the passages" if said_not_found \
                else f"none of the LLM's {len(verdicts)} sentences could be verified"
            return dataclasses.replace(self._fallback.write(evidence, decision),
                                       fallback=why, dropped=dropped)
        return _compose(evidence, kept, sent, dropped)


def _block(context: ReadContext, n: int, chunk: int) -> Block:
    view = context.view
    number = view.article_of_chunk(chunk)
    outlet = view.article(number).meta.outlet or ""
    date = article_date_text(view, number, "en")
    return Block(n, view.article_title(number), ", ".join(p for p in (outlet, date) if p),
                 view.chunk_text(chunk))


def _distinct(said: Sequence[Claim]) -> list[Claim]:
    """The claims, each sentence once: a model stuck in a loop repeats itself, and the
    answer (and verification's work) should not grow with the repeats."""
    seen: set[str] = set()
    out = []
    for claim in said:
        key = " ".join(claim.text.casefold().split())
        if key not in seen:
            seen.add(key)
            out.append(claim)
    return out


def _accumulating(on_text: Callable[[str], None] | None) -> Callable[[str], None] | None:
    """A delta callback passing the whole text so far to ``on_text``."""
    if on_text is None:
        return None
    pieces: list[str] = []

    def on_delta(piece: str) -> None:
        pieces.append(piece)
        on_text("".join(pieces))

    return on_delta


def _compose(evidence: Evidence, kept: Sequence[Verdict], sent: dict[int, Facts],
             dropped: int) -> Answer:
    """The kept sentences with their citations renumbered in order of first use."""
    numbers: dict[int, int] = {}
    for verdict in kept:
        for n in verdict.claim.cites:
            numbers.setdefault(n, len(numbers) + 1)
    lines = [_cited(_bare(v.claim.text), [numbers[n] for n in v.claim.cites]) for v in kept]
    scores = {h.chunk_id: h.score for h in evidence.hits}
    citations = tuple(
        _citation(evidence.context, new, sent[old].chunk, scores.get(sent[old].chunk, 0.0),
                  [v for v in kept if old in v.claim.cites])
        for old, new in numbers.items())
    return Answer(evidence.question, " ".join(lines), False, evidence.query.lang, citations,
                  evidence.passages, cut_to=evidence.cut_to, writer="llm", dropped=dropped)


def _citation(context: ReadContext, n: int, chunk: int, score: float,
              supported: Sequence[Verdict]) -> Citation:
    """A source quoting, for each sentence it supports, its passage sentence that says most
    of what the LLM's sentence says."""
    view = context.view
    number = view.article_of_chunk(chunk)
    art = view.article(number)
    quotes: list[int] = []
    sentences = {j: frozenset(context.sentence_terms(j)) for j in view.sentences_of_chunk(chunk)}
    for verdict in supported:
        best = max(sentences, key=lambda j: sum(
            c.weight for c in verdict.concepts if c.found_in(sentences[j])))
        if best not in quotes:
            quotes.append(best)
    return Citation(n=n, doc_id=art.doc_id, title=view.article_title(number),
                    source=art.meta.outlet, date=view.article_date(number),
                    quote=" … ".join(view.sentence_text(j) for j in sorted(quotes)),
                    score=round(score, 4), passage=view.chunk_text(chunk))


def _cited(sentence: str, numbers: Sequence[int]) -> str:
    """``sentence`` with its citation markers before its final punctuation ("... [1].")."""
    body = sentence.rstrip(".!?")
    return f"{body} {''.join(f'[{n}]' for n in numbers)}{sentence[len(body):] or '.'}"


def _bare(text: str) -> str:
    """A claim's sentence without citation markers left inside it."""
    return " ".join(re.sub(r"\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]", " ", text).split())
