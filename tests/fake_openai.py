"""A fake OpenAI-compatible Chat Completions server on 127.0.0.1, for tests of the LLM writer.

It speaks enough of the API for the real ``openai`` client: ``POST /v1/chat/completions``
(a ``chat.completion`` JSON reply, or with ``"stream": true`` server-sent events of
``chat.completion.chunk`` objects ending in ``data: [DONE]``) and ``GET /v1/models``. Only the
standard library is used, so it runs wherever the tests run.

Tests script the reply with :meth:`FakeOpenAI.reply` (a fixed text, an HTTP error, a slow or
refused or malformed reply) or :meth:`FakeOpenAI.reply_with` (a function of the request, e.g.
one that cites the passage holding a phrase), and read what was sent in
:attr:`FakeOpenAI.requests` and :attr:`FakeOpenAI.headers`.

Hostile servers, for the client's bounds: ``drip`` (the whole response, headers included, a
few bytes a second), ``silent`` (reads the request, never answers), ``flood`` (the text
repeated to some megabytes) and ``endless`` (a reply that never ends), each streamed or not.

Usage::

    with FakeOpenAI() as llm:
        llm.reply("The talks were mediated by the United States [1].")
        chat = OpenAIChat(llm.url, "fake", api_key="sk-test", timeout=5, max_tokens=64,
                          max_chars=4000)
        assert chat.complete(messages).startswith("The talks")
        assert llm.requests[-1]["max_tokens"] == 64
        assert llm.headers[-1]["authorization"] == "Bearer sk-test"
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["FakeOpenAI", "Headers", "Script"]

#: A reply script: the parsed request body in, the reply's text out.
Script = Callable[[dict[str, Any]], str]

#: The errors a client that hangs up (a timeout, a cancelled stream) causes on our side.
_HANGUP = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)
#: Word-ish pieces that join back to the exact text, so a streamed reply equals the JSON one.
_PIECES = re.compile(r"\S+\s*|\s+")
#: OpenAI's ``error.type`` for the statuses tests use; others are ``server_error``.
_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error",
                403: "permission_error", 404: "not_found_error", 429: "rate_limit_error"}


class Headers(dict[str, str]):
    """Request headers, looked up case-insensitively (keys are stored lower-cased).

    HTTP header names are case-insensitive and clients differ in how they spell them, so
    ``headers["Authorization"]`` and ``headers.get("authorization")`` both work.
    """

    def __init__(self, items: Iterator[tuple[str, str]] | list[tuple[str, str]]) -> None:
        super().__init__((k.lower(), v) for k, v in items)

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        """The header's value, or ``default``."""
        return super().get(key.lower(), default)


@dataclass(frozen=True)
class _Reply:
    """How the server answers the next chat requests (see :meth:`FakeOpenAI.reply`)."""

    text: str = "This is a fake reply."
    status: int = 200
    delay: float = 0.0
    stream_chunk_delay: float = 0.0
    finish_reason: str = "stop"
    refusal: str | None = None
    body: bytes | None = None
    script: Script | None = None
    drip: float = 0.0
    silent: bool = False
    flood: int = 0
    endless: bool = False


class FakeOpenAI:
    """A loopback OpenAI-compatible server in a daemon thread; use it as a context manager.

    Args:
        model: The model id ``GET /v1/models`` lists (replies echo the requested model).

    Attributes:
        url: The base URL to give a client, ``http://127.0.0.1:PORT/v1``.
        requests: The parsed JSON bodies of the chat requests received, oldest first.
        headers: Their headers, in the same order (:class:`Headers`, case-insensitive).
        errors: Tracebacks of reply scripts that raised; non-empty fails the ``with`` block.
    """

    def __init__(self, model: str = "fake-model") -> None:
        self.model = model
        self.requests: list[dict[str, Any]] = []
        self.headers: list[Headers] = []
        self.errors: list[str] = []
        self._reply = _Reply()
        self._lock = threading.Lock()
        # Set on exit: handlers sleeping for ``delay`` or between stream pieces wake up and
        # stop, so closing never waits for a long scripted delay.
        self.closing = threading.Event()
        self._handlers: list[threading.Thread] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(self))
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name="fake-openai", daemon=True)
        port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/v1"

    # --- scripting ---------------------------------------------------------------------------

    def reply(self, text: str, *, status: int = 200, delay: float = 0.0,
              stream_chunk_delay: float = 0.0, finish_reason: str = "stop",
              refusal: str | None = None, body: bytes | None = None, drip: float = 0.0,
              silent: bool = False, flood: int = 0, endless: bool = False) -> None:
        """Answer every following chat request like this (until changed).

        Args:
            text: The reply's content. An empty text keeps a script set by
                :meth:`reply_with`, so ``reply("", stream_chunk_delay=0.2)`` only slows the
                scripted reply down; with no script it means an empty reply.
            status: Not 200: an OpenAI-style ``{"error": {...}}`` body with this status.
            delay: Seconds to wait before answering at all (to provoke client timeouts).
            stream_chunk_delay: Seconds to wait before each piece of a streamed reply.
            finish_reason: The ``finish_reason`` reported (``"length"`` for a cut reply).
            refusal: Refuse with this text: ``message.refusal`` set and ``content`` null,
                or ``delta.refusal`` pieces when streamed.
            body: Raw bytes sent verbatim with ``status`` instead of any reply (malformed
                JSON, a broken event stream).
            drip: Send the whole response (status line and headers too) at this many bytes
                a second; 0: at once.
            silent: Read the request, then never answer (until the server closes).
            flood: Repeat the text until the reply holds at least this many bytes.
            endless: Repeat the text for ever: streamed, piece after piece; as JSON, a
                ``content`` string that never closes.
        """
        with self._lock:
            script = self._reply.script if not text else None
            self._reply = _Reply(text, status, delay, stream_chunk_delay, finish_reason,
                                 refusal, body, script, drip, silent, flood, endless)

    def reply_with(self, script: Script) -> None:
        """Answer each following chat request with ``script(request_body)`` as the text,
        keeping the status, delays and other settings of :meth:`reply`."""
        with self._lock:
            self._reply = replace(self._reply, script=script)

    def current(self) -> _Reply:
        """The reply settings in force (read by the request handlers)."""
        with self._lock:
            return self._reply

    # --- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
        if exc is None and self.errors:
            # A broken script otherwise shows up only as a puzzling "HTTP 500" fallback.
            raise AssertionError("a FakeOpenAI reply script raised:\n" + self.errors[0])

    def close(self) -> None:
        """Stop serving, wake and join the request handlers, and free the port."""
        self.closing.set()
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(5)
        self._server.server_close()
        with self._lock:
            handlers, self._handlers = self._handlers, []
        for handler in handlers:
            # Handlers wake on ``closing`` and their sockets time out, so this is short.
            handler.join(5)

    def _track(self) -> None:
        with self._lock:
            self._handlers = [t for t in self._handlers if t.is_alive()]
            self._handlers.append(threading.current_thread())

    def _record(self, body: dict[str, Any], headers: Headers) -> None:
        with self._lock:
            self.requests.append(body)
            self.headers.append(headers)


def _handler_class(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    """A request-handler class bound to ``fake`` (http.server instantiates it per request)."""

    class Handler(_Handler):
        server_fake = fake

    return Handler


class _Handler(BaseHTTPRequestHandler):
    """Serves one request per connection (``Connection: close``): simple and enough."""

    server_fake: FakeOpenAI
    protocol_version = "HTTP/1.1"
    #: Socket timeout, so a silent or stuck client cannot keep a handler thread alive.
    timeout = 5

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean: no access log on stderr."""

    def handle(self) -> None:
        """Handle the request, ignoring a client that hung up (timeouts, cancelled streams)."""
        self.server_fake._track()
        with contextlib.suppress(*_HANGUP):
            super().handle()

    def do_GET(self) -> None:
        """``GET /v1/models``: the one model."""
        if self.path.rstrip("/") != "/v1/models":
            self._error(404, f"no route for GET {self.path}")
            return
        model = {"id": self.server_fake.model, "object": "model", "created": 0,
                 "owned_by": "fake"}
        self._json(200, {"object": "list", "data": [model]})

    def do_POST(self) -> None:
        """``POST /v1/chat/completions``: record the request, then answer as scripted."""
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._error(404, f"no route for POST {self.path}")
            return
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            request = json.loads(raw)
            if not isinstance(request, dict) or not isinstance(request.get("messages"), list):
                raise ValueError("'messages' must be an array")
        except ValueError as exc:
            self._error(400, f"invalid request body: {exc}")
            return
        fake = self.server_fake
        fake._record(request, Headers(self.headers.items()))
        reply = fake.current()
        if reply.silent:
            fake.closing.wait()
            return
        if reply.delay and fake.closing.wait(reply.delay):
            return  # the server is closing: nobody is waiting for this reply any more
        if reply.drip:
            self.wfile = _Drip(self.wfile, reply.drip, fake.closing)
        self._answer(request, reply)

    def _answer(self, request: dict[str, Any], reply: _Reply) -> None:
        stream = bool(request.get("stream"))
        if reply.body is not None:
            kind = "text/event-stream" if stream else "application/json"
            self._send(reply.status, reply.body, kind)
            return
        if reply.status != 200:
            self._error(reply.status, f"scripted failure (HTTP {reply.status})")
            return
        try:
            text = reply.script(request) if reply.script else reply.text
        except Exception:
            self.server_fake.errors.append(traceback.format_exc())
            self._error(500, "the fake server's reply script raised")
            return
        if stream:
            self._stream(request, reply, text)
        elif reply.endless:
            self._endless_json(request, text)
        else:
            self._json(200, _completion(request, reply, _flooded(text, reply.flood)))

    def _stream(self, request: dict[str, Any], reply: _Reply, text: str) -> None:
        """Send ``text`` as server-sent events, a few characters at a time."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        field = "refusal" if reply.refusal is not None else "content"
        pieces = _pieces(reply.refusal if reply.refusal is not None else text, reply)
        chunk = _chunker(request)
        # Like real servers: the role first, then the pieces, then an empty delta that carries
        # finish_reason, then usage when asked for, then [DONE].
        self._event(chunk({"role": "assistant", "content": "" if field == "content" else None}))
        for piece in pieces:
            if self.server_fake.closing.wait(reply.stream_chunk_delay or 0):
                return
            self._event(chunk({field: piece}))
        self._event(chunk({}, reply.finish_reason))
        if (request.get("stream_options") or {}).get("include_usage"):
            self._event({**chunk({}), "choices": [], "usage": _usage(request, text)})
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True

    def _endless_json(self, request: dict[str, Any], text: str) -> None:
        """A ``chat.completion`` whose ``content`` string never closes."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        head = json.dumps(_completion(request, _Reply(), "\x00")).partition('\\u0000')[0]
        self.wfile.write(head.encode())
        piece = json.dumps(text.rstrip() + " ")[1:-1].encode()
        while not self.server_fake.closing.is_set():
            self.wfile.write(piece)
        self.close_connection = True

    def _event(self, payload: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
        self.wfile.flush()

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _error(self, status: int, message: str) -> None:
        error = {"message": message, "type": _ERROR_TYPES.get(status, "server_error"),
                 "param": None, "code": None}
        self._json(status, {"error": error})

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True


class _Drip:
    """A response writer that sends a few bytes at a time, ``rate`` bytes a second."""

    def __init__(self, raw: Any, rate: float, closing: threading.Event) -> None:
        self._raw, self._rate, self._closing = raw, rate, closing
        self._step = max(1, round(rate / 10))  # ten writes a second, at least a byte each

    def write(self, data: bytes) -> int:
        for at in range(0, len(data), self._step):
            self._raw.write(data[at:at + self._step])
            self._raw.flush()
            if self._closing.wait(self._step / self._rate):
                raise BrokenPipeError("the fake server is closing")
        return len(data)

    def flush(self) -> None:
        self._raw.flush()

    def __getattr__(self, name: str) -> Any:  # ``closed`` and the rest: the real writer's
        return getattr(self._raw, name)


def _pieces(text: str, reply: _Reply) -> Iterable[str]:
    """The streamed pieces of ``text``: once, or repeated for a flood or for ever."""
    if not (reply.flood or reply.endless):
        return _PIECES.findall(text)
    unit = text.rstrip() + " "
    pieces = _PIECES.findall(unit)
    if reply.endless:
        return itertools.cycle(pieces)
    return itertools.islice(itertools.cycle(pieces),
                            -(-reply.flood // len(unit.encode())) * len(pieces))


def _flooded(text: str, size: int) -> str:
    """``text`` repeated to at least ``size`` bytes (``size`` 0: ``text`` itself)."""
    if not size:
        return text
    unit = text.rstrip() + " "
    return unit * -(-size // len(unit.encode()))


def _completion(request: dict[str, Any], reply: _Reply, text: str) -> dict[str, Any]:
    """A ``chat.completion`` object for a non-streamed reply."""
    refused = reply.refusal is not None
    message = {"role": "assistant", "content": None if refused else text,
               "refusal": reply.refusal}
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "object": "chat.completion",
            "created": int(time.time()), "model": request.get("model") or "fake-model",
            "choices": [{"index": 0, "message": message, "logprobs": None,
                         "finish_reason": reply.finish_reason}],
            "usage": _usage(request, text)}


def _chunker(request: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """Makes the ``chat.completion.chunk`` objects of one stream (shared id and time)."""
    ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
    model = request.get("model") or "fake-model"

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {"id": ident, "object": "chat.completion.chunk", "created": created,
                "model": model, "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                             "finish_reason": finish_reason}]}

    return chunk


def _usage(request: dict[str, Any], text: str) -> dict[str, int]:
    """Token counts, approximated by words (no test needs real tokenisation)."""
    prompt = sum(len(str(m.get("content", "")).split()) for m in request.get("messages", [])
                 if isinstance(m, dict))
    completion = len(text.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}
