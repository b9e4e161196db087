"""Talking to an LLM: one chat request to any OpenAI-compatible Chat Completions API.

:class:`ChatClient` is the transport seam the LLM writer uses; :class:`OpenAIChat` is the one
implementation, on the ``openai`` package (Ollama, llama.cpp's server, vLLM, LM Studio and
OpenAI all speak this API). Tests put a loopback fake server behind the same class. Every
failure — unreachable server, HTTP error, timeout, refusal, empty reply — becomes one
:class:`~retrieval.errors.LlmError` whose message never holds the API key.

Each call is bounded whatever the server does: one deadline covers connecting, any retry and
the whole reply (:mod:`.bounded` holds every socket call to it), and reading stops at a cap
on the reply's characters (and, below that, on the bytes that arrive).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from retrieval.errors import LlmError

if TYPE_CHECKING:
    from retrieval.answering.llm.bounded import Budget

__all__ = ["ChatClient", "Message", "OpenAIChat"]

log = logging.getLogger(__name__)

#: One chat message: ``{"role": "system" | "user", "content": "..."}``.
Message = dict[str, str]

#: Statuses worth one more try (overloaded or restarting servers, rate limits).
_TRANSIENT = frozenset({408, 429, 502, 503, 504})
#: The pause before that try.
_PAUSE = 0.5
#: The end of a whole sentence: its final punctuation or a citation marker (the marker
#: closes a sentence, as in ``verify.claims``), then a space.
_SENTENCE_END = re.compile(r"(?:[.!?]|\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\])[.!?\"'”’)]*(?=\s)")


class ChatClient(Protocol):
    """Sends a chat and returns the reply's text."""

    def complete(self, messages: Sequence[Message],
                 on_delta: Callable[[str], None] | None = None) -> str:
        """The reply to ``messages``; with ``on_delta``, streamed, each piece passed to it
        as it arrives.

        Raises:
            LlmError: No usable reply.
        """
        ...


class OpenAIChat:
    """A :class:`ChatClient` over the ``openai`` package.

    Args:
        url: The API's base URL (``http://localhost:11434/v1`` for Ollama).
        model: The model name the server serves.
        api_key: The key, or "" for servers that need none.
        timeout: Seconds for a whole call: connecting, any retry, the whole reply. Nothing
            extends it (the package's own retries are off).
        max_tokens: The longest reply; always sent, since some servers otherwise generate
            until the context is full.
        max_chars: The most of a reply that is read, in characters; ``on_delta`` sees no
            more. A longer reply is cut at its last whole sentence.
    """

    def __init__(self, url: str, model: str, api_key: str, timeout: float, max_tokens: int,
                 *, max_chars: int) -> None:
        self._url, self._model, self._key = url, model, api_key
        self._timeout, self._max_tokens, self._max_chars = timeout, max_tokens, max_chars

    @property
    def deadline(self) -> float:
        """Seconds a :meth:`complete` call takes at most (plus a few milliseconds)."""
        return self._timeout

    def complete(self, messages: Sequence[Message],
                 on_delta: Callable[[str], None] | None = None) -> str:
        """See :meth:`ChatClient.complete`; the call ends within :attr:`deadline`."""
        from retrieval.answering.llm.bounded import Budget

        # The clock starts before the first (0.4 s+) import of the package: the user waits
        # for that too. Deferred, since it is only needed when an LLM is configured.
        budget = Budget(self._timeout, _byte_cap(self._max_chars, bool(on_delta)))
        import httpx2
        import openai

        for attempt in (1, 2):
            try:
                text, cut = self._attempt(messages, budget, on_delta)
                break
            except LlmError:
                raise
            except (openai.OpenAIError, httpx2.HTTPError, ValueError, KeyError, TypeError,
                    IndexError, AttributeError) as exc:
                # A retry only when the server said nothing usable yet and half the time is
                # left after the pause: never past the deadline, never after a draft began.
                if attempt == 2 or not _transient(exc, budget) or \
                        budget.left() - _PAUSE < self._timeout / 2:
                    raise self._failure(exc, budget) from None
                log.info("the LLM failed (%s); trying once more", type(exc).__name__)
                time.sleep(_PAUSE)
        return self._usable(text, cut)

    def _attempt(self, messages: Sequence[Message], budget: Budget,
                 on_delta: Callable[[str], None] | None) -> tuple[str, bool]:
        """One request on its own connection, closed on return: (text, cut at the cap)."""
        import openai

        from retrieval.answering.llm.bounded import bounded_client

        with openai.OpenAI(base_url=self._url, api_key=self._key or "none",
                           timeout=self._timeout, max_retries=0,
                           http_client=bounded_client(self._url, budget)) as client:
            create: Any = client.chat.completions.create  # typed per message role; ours: str
            reply = create(
                model=self._model, messages=list(messages), max_tokens=self._max_tokens,
                temperature=0, stream=on_delta is not None)
            if on_delta is None:
                return self._whole(reply)
            with reply:  # leaving it mid-stream closes the connection: reading stops
                return self._streamed(reply, on_delta, budget)

    def _whole(self, reply: Any) -> tuple[str, bool]:
        choice = reply.choices[0]
        if getattr(choice.message, "refusal", None):
            raise LlmError("the LLM refused to answer")
        text = str(choice.message.content or "")
        return text[: self._max_chars], len(text) > self._max_chars

    def _streamed(self, chunks: Iterable[Any], on_delta: Callable[[str], None],
                  budget: Budget) -> tuple[str, bool]:
        import openai

        pieces: list[str] = []
        room = self._max_chars
        try:
            for chunk in chunks:
                if budget.expired:  # pieces already buffered are not worth the wait either
                    raise LlmError(self._late())
                delta = chunk.choices[0].delta if chunk.choices else None
                if delta is not None and getattr(delta, "refusal", None):
                    raise LlmError("the LLM refused to answer")
                if delta is None or not delta.content:
                    continue
                piece = delta.content[:room]
                if piece:
                    pieces.append(piece)
                    on_delta(piece)
                    room -= len(piece)
                if len(piece) < len(delta.content):  # more than the cap: stop reading
                    return "".join(pieces), True
        except openai.APIConnectionError:
            if not budget.overflowed or budget.expired or not pieces:
                raise
            # Past the byte cap (a flood of pieces with little text in them): what arrived
            # is the reply, cut like one past the character cap.
            return "".join(pieces), True
        return "".join(pieces), False

    def _usable(self, text: str, cut: bool) -> str:
        """The reply to hand on: a cut one up to its last whole sentence."""
        if cut:
            # Cut rather than dropped: the cap bounds work, it does not judge the text, and
            # each kept sentence is still verified against the passages — as for a reply
            # ended by max_tokens. A half sentence is left out: its citation may not have
            # arrived, and its end could turn its meaning ("… but the talks failed").
            ends = list(_SENTENCE_END.finditer(text))
            log.info("the LLM's reply passed %d characters: reading stopped", self._max_chars)
            text = text[: ends[-1].end()] if ends else ""
            if not text.strip():
                raise LlmError("the LLM's reply reached the KABAR_LLM_MAX_REPLY_CHARS cap "
                               "before a whole sentence")
        if not text.strip():
            raise LlmError("the LLM sent an empty reply")
        return text

    def _late(self) -> str:
        return f"the LLM did not answer within {self._timeout:g} s"

    def _failure(self, exc: Exception, budget: Budget) -> LlmError:
        """``exc`` as one line saying what went wrong (never the key)."""
        import httpx2
        import openai

        if budget.expired or isinstance(exc, openai.APITimeoutError):
            return LlmError(self._late())
        if budget.overflowed:
            return LlmError(f"the LLM's reply was too long: over {budget.max_bytes} bytes, the "
                            "most KABAR_LLM_MAX_REPLY_CHARS allows")
        if isinstance(exc, openai.APIConnectionError | httpx2.TransportError):
            if budget.received:
                return LlmError("the LLM server broke off its reply")
            return LlmError(f"cannot reach the LLM at {self._url} — is the server running?")
        if isinstance(exc, openai.APIStatusError):
            return LlmError(f"the LLM server answered HTTP {exc.status_code}")
        # A malformed reply: the package raises its own errors or plain ones.
        return LlmError(f"the LLM server sent an unusable reply ({type(exc).__name__})")


def _transient(exc: Exception, budget: Budget) -> bool:
    """Whether ``exc`` is worth one more try: a busy server, or a connection that failed
    before anything arrived (a timeout never is: it used the time up)."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _TRANSIENT
    return isinstance(exc, openai.APIConnectionError) and \
        not isinstance(exc, openai.APITimeoutError) and not budget.received


def _byte_cap(max_chars: int, streamed: bool) -> int:
    """The bytes a reply of ``max_chars`` characters may take on the wire, with headroom.

    A JSON reply is used whole or not at all, so it may hold the cap's worth of text at
    12 bytes a character (a ``\\uXXXX`` escape, two for an emoji). A stream wraps each piece
    of a few characters in an envelope of 150-400 bytes (id, model, index, an ``obfuscation``
    pad); 200 bytes a character lets the character cap stop an honest stream first, while a
    flood of near-empty pieces is still cut off.
    """
    return 64 * 1024 + max_chars * (200 if streamed else 12)
