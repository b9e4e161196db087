"""A fake Telegram Bot API server on 127.0.0.1, for end-to-end tests of the real bot library.

It speaks the Bot API's HTTP protocol (``POST /bot<TOKEN>/<method>``, form or JSON
parameters, ``{"ok": ..., "result": ...}`` answers) closely enough for python-telegram-bot:
``getMe``, ``deleteWebhook``/``setWebhook``/``getWebhookInfo``, long-polled ``getUpdates``
with ``offset``/``timeout``, ``sendMessage``, ``editMessageText``, ``sendChatAction``,
``answerCallbackQuery``, ``setMyCommands``. Like Telegram it rejects HTML it cannot parse and
texts over 4,096 characters, so a passing test also proves the bot's markup is valid.

Tests drive it with ``push_message``/``push_callback``/``push_photo`` (delivered by
``getUpdates``, or POSTed to the webhook once one is set), read what the bot did with
``messages()``/``calls()``, wait with ``wait_for``, and inject faults with ``flood`` (429 with
``retry_after``), ``fail`` (any status, e.g. 502 or 401 for a rejected token) and ``drop``
(the connection closed without an answer).

Usage::

    with FakeTelegram() as server:
        settings = replace(settings, telegram_bot_token=server.token,
                           telegram_api_url=server.base_url)
        app = build_application(settings, ...)
        with app_thread(app, lambda: run_application(app, settings, stop_signals=None),
                        ready=lambda: server.calls("getUpdates")):
            server.push_message(1, "What was agreed in Paris?")
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlparse

T = TypeVar("T")

#: Tags Telegram accepts in HTML parse mode.
TELEGRAM_TAGS = frozenset({"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a",
                           "code", "pre", "span", "tg-spoiler", "tg-emoji", "blockquote"})
MAX_TEXT = 4096
# Parameters the library sends JSON-encoded inside form fields.
_JSON_FIELDS = frozenset({"reply_markup", "reply_parameters", "link_preview_options", "commands",
                          "allowed_updates", "entities", "scope"})
_LONG_POLL_CAP = 2.0  # seconds: keeps shutdown quick whatever timeout the client asks for
_DROP = -1  # the "status" of a dropped call: the connection is closed without an answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients drop idle keep-alive connections when they shut down; that is no error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _HtmlChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS:
            self.error = self.error or f"Unsupported start tag \"{tag}\""
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = self.error or f"Unmatched end tag \"{tag}\""
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.visible.append(data)


def check_html(text: str) -> str | None:
    """Telegram's verdict on an HTML text: ``None`` when valid, else the error message.

    Checks what Telegram checks: only supported tags, every tag closed in order, no stray
    ``<`` or ``&`` that does not start a tag or an entity, and at most 4,096 visible
    characters (UTF-16 code units) after parsing.
    """
    if re.search(r"<(?![a-zA-Z/])", text):
        return "Can't parse entities: unexpected \"<\""
    if re.search(r"&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text):
        return "Can't parse entities: unexpected \"&\""
    checker = _HtmlChecker()
    checker.feed(text)
    checker.close()
    if checker.error:
        return f"Can't parse entities: {checker.error}"
    if checker.stack:
        return ("Can't parse entities: can't find end tag corresponding to start tag "
                f"\"{checker.stack[-1]}\"")
    visible = "".join(checker.visible)
    if len(visible.encode("utf-16-le")) // 2 > MAX_TEXT:
        return "message is too long"
    return None


def visible_text(html_text: str) -> str:
    """What a Telegram user sees of an HTML text: tags dropped, entities decoded."""
    checker = _HtmlChecker()
    checker.feed(html_text)
    checker.close()
    return "".join(checker.visible)


@dataclass
class Call:
    """One request the bot made: its method, parameters and the HTTP status it got (0 while
    it is still being answered, e.g. a long poll; -1 when it was dropped)."""

    method: str
    params: dict[str, Any]
    status: int
    at: float = field(default_factory=time.monotonic)


@dataclass
class Sent:
    """A message the bot sent (its text updated by later edits)."""

    message_id: int
    chat_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    reply_to: int | None
    at: float
    edits: int = 0

    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard's buttons, row after row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]


class FakeTelegram:
    """The fake Bot API server; runs in a background thread until :meth:`stop`.

    Args:
        token: The token the server accepts; requests with another one get 401.
        username: The bot's username, returned by ``getMe``.
    """

    BOT_ID = 7000001

    def __init__(self, token: str = "123:ABC", username: str = "kabar_test_bot") -> None:
        self.token = token
        self.username = username
        self.bot_user = {"id": self.BOT_ID, "is_bot": True, "first_name": "Kabar",
                         "username": username, "can_join_groups": True,
                         "can_read_all_group_messages": False, "supports_inline_queries": False}
        self._cond = threading.Condition()
        self._updates: list[dict[str, Any]] = []
        self._next_update = 1
        self._next_message = 1
        self._next_callback = 1
        self._calls: list[Call] = []
        self._sent: dict[int, Sent] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._faults: dict[str, deque[tuple[int, dict[str, Any]]]] = {}
        self._closing = False
        self.webhook: dict[str, Any] | None = None
        self.webhook_deliveries: list[int] = []
        self._httpd = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name="fake-telegram", daemon=True)

    # -- life cycle --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The URL to pass as the library's ``base_url`` (the token is appended to it)."""
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> FakeTelegram:
        """Start serving in the background."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; pending long polls return at once."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests push ---------------------------------------------------------------------

    def push_message(self, chat_id: int, text: str, chat_type: str = "private",
                     from_id: int | None = None, reply_to_bot: bool = False,
                     entities: list[dict[str, Any]] | None = None,
                     language_code: str = "en") -> dict[str, Any]:
        """Queue a text message from a user, as Telegram would deliver it.

        Args:
            chat_id: The chat (negative for groups, by Telegram's convention).
            text: The message text.
            chat_type: "private", "group" or "supergroup".
            from_id: The sender (default: the chat id in private chats, 4242 in groups).
            reply_to_bot: Make it a reply to the bot's last message in that chat.
            entities: Message entities; by default computed like Telegram does for a leading
                ``/command`` and ``@mentions``.
            language_code: The sender's app language.

        Returns:
            The update.
        """
        message = self._new_message(chat_id, chat_type, from_id, language_code)
        message["text"] = text
        found = _entities(text) if entities is None else entities
        if found:
            message["entities"] = found
        if reply_to_bot:
            message["reply_to_message"] = self._last_bot_message(chat_id)
        return self._enqueue({"message": message})

    def push_photo(self, chat_id: int, chat_type: str = "private", caption: str | None = None,
                   from_id: int | None = None, language_code: str = "en") -> dict[str, Any]:
        """Queue a photo message (with an optional caption)."""
        message = self._new_message(chat_id, chat_type, from_id, language_code)
        message["photo"] = [{"file_id": "photo-small", "file_unique_id": "ps", "width": 90,
                             "height": 90},
                            {"file_id": "photo-big", "file_unique_id": "pb", "width": 800,
                             "height": 800}]
        if caption is not None:
            message["caption"] = caption
            if found := _entities(caption):
                message["caption_entities"] = found
        return self._enqueue({"message": message})

    def push_sticker(self, chat_id: int, chat_type: str = "private") -> dict[str, Any]:
        """Queue a sticker message."""
        message = self._new_message(chat_id, chat_type, None, "en")
        message["sticker"] = {"file_id": "sticker", "file_unique_id": "st", "type": "regular",
                              "width": 512, "height": 512, "is_animated": False,
                              "is_video": False}
        return self._enqueue({"message": message})

    def push_callback(self, chat_id: int, message_id: int, data: str,
                      from_id: int | None = None, language_code: str = "en") -> dict[str, Any]:
        """Queue a press of an inline button under the bot's message ``message_id``."""
        with self._cond:
            sent = self._sent[message_id]
            query_id = str(self._next_callback)
            self._next_callback += 1
        user = self._user(from_id if from_id is not None else abs(chat_id), language_code)
        query = {"id": query_id, "from": user, "chat_instance": f"ci{chat_id}", "data": data,
                 "message": self._message_json(sent)}
        return self._enqueue({"callback_query": query})

    # -- what tests read ---------------------------------------------------------------------

    def messages(self, chat_id: int | None = None) -> list[Sent]:
        """Messages the bot sent (as edited since), oldest first; optionally of one chat."""
        with self._cond:
            return [m for m in self._sent.values() if chat_id is None or m.chat_id == chat_id]

    def calls(self, method: str | None = None) -> list[Call]:
        """Requests the bot made, oldest first; optionally of one method (case-insensitive)."""
        with self._cond:
            return [c for c in self._calls
                    if method is None or c.method.lower() == method.lower()]

    def wait_for(self, predicate: Callable[[], T | None], timeout: float = 15.0,
                 what: str = "condition") -> T:
        """Poll ``predicate`` until it returns something truthy; return that.

        Raises:
            AssertionError: Still falsy after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for {what}")
            time.sleep(0.02)

    # -- fault injection ---------------------------------------------------------------------

    def flood(self, method: str, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 "retry after"."""
        self.fail(method, times, 429, f"Too Many Requests: retry after {retry_after}",
                  {"retry_after": retry_after})

    def drop(self, method: str, times: int = 1) -> None:
        """Close the connection of the next ``times`` calls of ``method`` without answering
        (what a client sees of a network failure: the library raises NetworkError)."""
        with self._cond:
            self._faults.setdefault(method.lower(), deque()).extend([(_DROP, {})] * times)

    def fail(self, method: str, times: int = 1, status: int = 502,
             description: str = "Bad Gateway", parameters: dict[str, Any] | None = None) -> None:
        """Answer the next ``times`` calls of ``method`` with an error status."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        with self._cond:
            queue = self._faults.setdefault(method.lower(), deque())
            queue.extend([(status, body)] * times)

    # -- internals ---------------------------------------------------------------------------

    def _user(self, user_id: int, language_code: str) -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": "Tester",
                "language_code": language_code}

    def _new_message(self, chat_id: int, chat_type: str, from_id: int | None,
                     language_code: str) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "Tester"
        else:
            chat["title"] = "Test group"
        sender = from_id if from_id is not None else (chat_id if chat_type == "private"
                                                       else 4242)
        with self._cond:
            self._chats[chat_id] = chat
            message_id = self._next_message
            self._next_message += 1
        return {"message_id": message_id, "date": int(time.time()), "chat": chat,
                "from": self._user(sender, language_code)}

    def _last_bot_message(self, chat_id: int) -> dict[str, Any]:
        with self._cond:
            mine = [m for m in self._sent.values() if m.chat_id == chat_id]
        if not mine:
            raise AssertionError(f"the bot has not written in chat {chat_id} yet")
        return self._message_json(mine[-1])

    def _message_json(self, sent: Sent) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": sent.message_id, "date": int(time.time()),
            "chat": self._chats.get(sent.chat_id, {"id": sent.chat_id, "type": "private"}),
            "from": self.bot_user, "text": visible_text(sent.text)
            if sent.parse_mode == "HTML" else sent.text}
        if sent.reply_markup:
            message["reply_markup"] = sent.reply_markup
        return message

    def _enqueue(self, update: dict[str, Any]) -> dict[str, Any]:
        with self._cond:
            update["update_id"] = self._next_update
            self._next_update += 1
            webhook = self.webhook
            if webhook is None:
                self._updates.append(update)
                self._cond.notify_all()
        if webhook is not None:
            threading.Thread(target=self._deliver, args=(webhook, update), daemon=True).start()
        return update

    def _deliver(self, webhook: dict[str, Any], update: dict[str, Any]) -> None:
        request = urllib.request.Request(
            webhook["url"], data=json.dumps(update).encode(), method="POST",
            headers={"Content-Type": "application/json"})
        if webhook.get("secret_token"):
            request.add_header("X-Telegram-Bot-Api-Secret-Token", webhook["secret_token"])
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        with self._cond:
            self.webhook_deliveries.append(status)

    def _handle(self, token: str, method: str, params: dict[str, Any]
                ) -> tuple[int, dict[str, Any]]:
        key = method.lower()
        call = Call(method, params, 0)  # recorded on arrival, so a long poll shows at once
        with self._cond:
            self._calls.append(call)
            faults = self._faults.get(key)
            fault = faults.popleft() if faults else None
        handler = getattr(self, f"_api_{key}", None)
        if fault is not None:
            status, body = fault
        elif token != self.token:
            status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        elif handler is None:
            status, body = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        else:
            status, body = handler(params)
        call.status = status
        return status, body

    @staticmethod
    def _ok(result: Any) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": result}

    @staticmethod
    def _bad(description: str) -> tuple[int, dict[str, Any]]:
        return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"}

    def _api_getme(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return self._ok(self.bot_user)

    def _api_getupdates(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), _LONG_POLL_CAP)
        limit = int(params.get("limit") or 100)
        deadline = time.monotonic() + timeout
        with self._cond:
            if self.webhook is not None:
                return 409, {"ok": False, "error_code": 409, "description":
                             "Conflict: can't use getUpdates method while webhook is active"}
            # Like Telegram: an offset confirms (forgets) every earlier update.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closing:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return self._ok(self._updates[:limit])

    def _api_deletewebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._cond:
            self.webhook = None
        return self._ok(True)

    def _api_setwebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._cond:
            self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return self._ok(True)

    def _api_getwebhookinfo(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url = self.webhook["url"] if self.webhook else ""
        return self._ok({"url": url, "has_custom_certificate": False,
                         "pending_update_count": 0})

    def _api_setmycommands(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return self._ok(True)

    def _api_sendchataction(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return self._ok(True)

    def _api_answercallbackquery(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return self._ok(True)

    def _api_sendmessage(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        text = str(params.get("text", ""))
        parse_mode = params.get("parse_mode")
        problem = check_html(text) if parse_mode == "HTML" else (
            "message is too long" if len(text.encode("utf-16-le")) // 2 > MAX_TEXT else None)
        if not text.strip():
            problem = "message text is empty"
        if problem:
            return self._bad(problem)
        reply = params.get("reply_parameters") or {}
        with self._cond:
            message_id = self._next_message
            self._next_message += 1
            sent = Sent(message_id, int(params["chat_id"]), text, parse_mode,
                        params.get("reply_markup"), reply.get("message_id"), time.monotonic())
            self._sent[message_id] = sent
            self._cond.notify_all()
        return self._ok(self._message_json(sent))

    def _api_editmessagetext(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        text = str(params.get("text", ""))
        if params.get("parse_mode") == "HTML" and (problem := check_html(text)):
            return self._bad(problem)
        with self._cond:
            sent = self._sent.get(int(params.get("message_id") or 0))
            if sent is None or sent.chat_id != int(params.get("chat_id") or 0):
                return self._bad("message to edit not found")
            if sent.text == text and sent.reply_markup == params.get("reply_markup"):
                return self._bad("message is not modified")
            sent.text, sent.parse_mode = text, params.get("parse_mode")
            sent.reply_markup = params.get("reply_markup")
            sent.edits += 1
        return self._ok(self._message_json(sent))

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle's algorithm on, the
            # client's delayed ACK would add ~40 ms to every call.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                url = urlparse(self.path)
                match = re.fullmatch(r"/bot([^/]*)/([A-Za-z]+)", url.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if not match:
                    self._reply(404, {"ok": False, "error_code": 404,
                                      "description": "Not Found"})
                    return
                params = _parse_params(url.query, raw, self.headers.get("Content-Type", ""))
                status, body = server._handle(match.group(1), match.group(2), params)
                if status == _DROP:
                    self.close_connection = True  # nothing sent: the client sees a hang-up
                    return
                self._reply(status, body)

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (a cancelled long poll): nothing to do
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        return Handler


def _parse_params(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    if body and "json" in content_type:
        params.update(json.loads(body))
    elif body and "multipart" in content_type:
        raise AssertionError("the fake server does not accept file uploads")
    elif body:
        params.update({k: v[-1] for k, v in parse_qs(body.decode(), keep_blank_values=True)
                       .items()})
    for key in _JSON_FIELDS & params.keys():
        if isinstance(params[key], str):
            params[key] = json.loads(params[key])
    return params


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _entities(text: str) -> list[dict[str, Any]]:
    """The entities Telegram would find: a leading bot command and @mentions (UTF-16 offsets)."""
    found = []
    command = re.match(r"/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
    if command:
        found.append({"type": "bot_command", "offset": 0, "length": _utf16(command.group())})
    for mention in re.finditer(r"(?<![\w@])@[A-Za-z0-9_]{5,32}", text):
        if command and mention.start() < command.end():
            continue
        found.append({"type": "mention", "offset": _utf16(text[:mention.start()]),
                      "length": _utf16(mention.group())})
    return found


@contextlib.contextmanager
def app_thread(app: Any, run: Callable[[], None], ready: Callable[[], object],
               timeout: float = 60.0) -> Iterator[None]:
    """Run a python-telegram-bot ``Application`` in a background thread for a ``with`` block.

    Args:
        app: The application; its ``post_init`` is wrapped (and still called) to learn the
            event loop, since a worker thread cannot be stopped with a signal.
        run: Runs the application until it is stopped (``run_polling``/``run_webhook`` with
            ``stop_signals=None``, or a wrapper around them).
        ready: Truthy once the application is up (e.g. it has called getUpdates).
        timeout: Seconds to wait for ``ready``.

    Raises:
        Whatever ``run`` raised while starting; AssertionError if it does not stop.
    """
    loops: list[asyncio.AbstractEventLoop] = []
    failures: list[BaseException] = []
    post_init = app.post_init

    async def remember_loop(application: Any) -> None:
        loops.append(asyncio.get_running_loop())
        if post_init is not None:
            await post_init(application)

    app.post_init = remember_loop

    def target() -> None:
        try:
            run()
        except BaseException as exc:
            failures.append(exc)

    thread = threading.Thread(target=target, name="bot-under-test", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not (ready() or failures or not thread.is_alive()):
            if time.monotonic() > deadline:
                raise AssertionError(f"the application did not start within {timeout} s")
            time.sleep(0.02)
        if failures:
            raise failures[0]
        yield
    finally:
        if loops and not loops[0].is_closed():
            with contextlib.suppress(RuntimeError):  # closed in the meantime
                loops[0].call_soon_threadsafe(app.stop_running)
        thread.join(30)
        if thread.is_alive():
            raise AssertionError("the application did not shut down within 30 s")
