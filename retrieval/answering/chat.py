"""Talking to an LLM: one chat request to any OpenAI-compatible Chat Completions API.

:class:`ChatClient` is the transport seam the LLM writer uses; :class:`OpenAIChat` is the one
implementation, on the ``openai`` package (Ollama, llama.cpp's server, vLLM, LM Studio and
OpenAI all speak this API). Tests put a loopback fake server behind the same class. Every
failure — unreachable server, HTTP error, timeout, refusal, empty reply — becomes one
:class:`~retrieval.errors.LlmError` whose message never holds the API key.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from retrieval.errors import LlmError

__all__ = ["ChatClient", "Message", "OpenAIChat"]

log = logging.getLogger(__name__)

#: One chat message: ``{"role": "system" | "user", "content": "..."}``.
Message = dict[str, str]


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
        timeout: Seconds for the whole request (connecting, and waiting between pieces
            of a streamed reply).
        max_tokens: The longest reply; always sent, since some servers otherwise generate
            until the context is full.
    """

    def __init__(self, url: str, model: str, api_key: str, timeout: float,
                 max_tokens: int) -> None:
        self._url, self._model, self._key = url, model, api_key
        self._timeout, self._max_tokens = timeout, max_tokens
        self._client: Any = None

    def complete(self, messages: Sequence[Message],
                 on_delta: Callable[[str], None] | None = None) -> str:
        """See :meth:`ChatClient.complete`."""
        import openai  # deferred: 0.4 s to import, and only needed when an LLM is configured

        try:
            text = self._stream(messages, on_delta) if on_delta else self._once(messages)
        except openai.APITimeoutError:
            raise LlmError(f"the LLM did not answer within {self._timeout:g} s") from None
        except openai.APIConnectionError:
            raise LlmError(f"cannot reach the LLM at {self._url} — is the server running?"
                           ) from None
        except openai.APIStatusError as exc:
            raise LlmError(f"the LLM server answered HTTP {exc.status_code}") from None
        except (openai.OpenAIError, ValueError, KeyError, TypeError, IndexError,
                AttributeError) as exc:
            # A malformed reply: the package raises its own errors or plain ones.
            raise LlmError(f"the LLM server sent an unusable reply ({type(exc).__name__})"
                           ) from None
        if not text.strip():
            raise LlmError("the LLM sent an empty reply")
        return text

    def _connection(self) -> Any:
        if self._client is None:
            import openai

            # One retry: a dropped connection is worth a second try, a slow server is not
            # worth three (the package's default of 2 retries triples the timeout).
            self._client = openai.OpenAI(base_url=self._url, api_key=self._key or "none",
                                         timeout=self._timeout, max_retries=1)
        return self._client

    def _request(self, messages: Sequence[Message], stream: bool) -> Any:
        return self._connection().chat.completions.create(
            model=self._model, messages=list(messages), max_tokens=self._max_tokens,
            temperature=0, stream=stream)

    def _once(self, messages: Sequence[Message]) -> str:
        reply = self._request(messages, stream=False)
        choice = reply.choices[0]
        if getattr(choice.message, "refusal", None):
            raise LlmError("the LLM refused to answer")
        return str(choice.message.content or "")

    def _stream(self, messages: Sequence[Message], on_delta: Callable[[str], None]) -> str:
        pieces: list[str] = []
        for chunk in self._request(messages, stream=True):
            if not chunk.choices:
                continue
            delta = chunk.choices[0].delta
            if getattr(delta, "refusal", None):
                raise LlmError("the LLM refused to answer")
            if delta.content:
                pieces.append(delta.content)
                on_delta(delta.content)
        return "".join(pieces)
