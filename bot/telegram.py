"""The Telegram bot: python-telegram-bot (v22) handlers around the shared :class:`Engine`.

The engine is loaded once, in ``post_init``, and every question runs in a worker thread
(``asyncio.to_thread``) while updates are processed concurrently, so one slow question never
holds up other chats. Questions of one chat are answered in order (a per-chat lock), which
keeps follow-up questions and their history consistent. The engine itself switches to a newly
published index version between questions.

All message text is built by the pure functions of :mod:`bot.telegram_format`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import signal
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias, cast
from urllib.parse import urlparse

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from bot import telegram_format as tf
from bot.logs import setup_logging
from retrieval.config import Settings
from retrieval.engine import Engine, clean_question
from retrieval.errors import ConfigError, KabarError
from retrieval.search.lexicon import detect_language
from retrieval.types import Answer, Turn

log = logging.getLogger(__name__)

App: TypeAlias = Application[Any, Any, Any, Any, Any, Any]
Context: TypeAlias = ContextTypes.DEFAULT_TYPE

MISSING_TOKEN = ("TELEGRAM_BOT_TOKEN is not set — create a bot with @BotFather and put its "
                 "token in .env")
REJECTED_TOKEN = ("Telegram rejected TELEGRAM_BOT_TOKEN — check the token @BotFather gave you "
                  "(and TELEGRAM_API_URL when you use your own Bot API server)")

#: Key of the engine in ``application.bot_data``.
ENGINE = "engine"
#: Earlier turns of a chat passed to the engine as history, and how long they stay relevant.
HISTORY_TURNS, HISTORY_SECONDS = 3, 30 * 60
#: Answers per chat whose citation buttons still work (older ones say "ask again").
KEPT_ANSWERS = 20
SOURCES_PER_PAGE = 10
#: Telegram shows "typing…" for about 5 s per chat action, so it is renewed a little sooner.
TYPING_EVERY = 4.5
#: Retries of getMe/deleteWebhook at startup before giving up (with growing pauses).
BOOTSTRAP_RETRIES = 5
#: How long one request may wait in total for Telegram's flood control (429 "retry after")
#: before it is given up, in seconds. Telegram's waits are usually seconds, at most about a
#: minute for a busy group; an answer is worth waiting five minutes for.
FLOOD_WAIT_LIMIT = 300.0
ALLOWED_UPDATES = ["message", "callback_query"]
#: Ctrl-C, ``kill`` and ``docker stop`` all end the bot cleanly.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)
_REDACTED = "[bot token]"

_NEW_MESSAGE = filters.UpdateType.MESSAGE
_COMMAND_PREFIX = re.compile(r"^/\S*")


# --- state ---------------------------------------------------------------------------------

@dataclass
class _ChatState:
    """What the bot remembers about one chat, bounded in size."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    turns: deque[tuple[float, Turn]] = field(
        default_factory=lambda: deque(maxlen=HISTORY_TURNS))
    asked: deque[float] = field(default_factory=deque)
    # message id of an answer's last part (the one with the buttons) -> the answer
    answers: OrderedDict[int, Answer] = field(default_factory=OrderedDict)

    def wait_seconds(self, limit: int, now: float) -> int:
        """Seconds until another question is allowed, or 0 (and the question is counted)."""
        while self.asked and now - self.asked[0] >= 60:
            self.asked.popleft()
        if limit and len(self.asked) >= limit:
            return max(1, math.ceil(60 - (now - self.asked[0])))
        self.asked.append(now)
        return 0

    def history(self, now: float) -> list[Turn]:
        return [turn for when, turn in self.turns if now - when < HISTORY_SECONDS]

    def remember(self, question: str, answer: Answer, message_id: int, now: float) -> None:
        self.turns.append((now, Turn(question, answer)))
        self.answers[message_id] = answer
        while len(self.answers) > KEPT_ANSWERS:
            self.answers.popitem(last=False)


def _state(context: Context) -> _ChatState:
    chat_data = cast(dict[str, Any], context.chat_data)
    state = chat_data.get("kabar")
    if state is None:
        state = chat_data["kabar"] = _ChatState()
    return cast(_ChatState, state)


def _engine(context: Context) -> Engine:
    return cast(Engine, context.bot_data[ENGINE])


def _user_lang(update: Update) -> str:
    """The language for the bot's own words: the question's, else the user's app language."""
    message = update.message  # not a callback's: that text is the bot's own
    if message is not None and message.text and not message.text.startswith("/"):
        return detect_language(message.text)
    user = update.effective_user
    code = (user.language_code or "") if user else ""
    return "id" if code.lower().startswith(("id", "ms")) else "en"


# --- the handlers ----------------------------------------------------------------------------

class _Handlers:
    """The bot's handlers; they share the settings (allow list and rate limit)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def _admitted(self, update: Update, lang: str) -> bool:
        """Whether the chat may use the bot; other chats get a one-line refusal."""
        chat = update.effective_chat
        allowed = self.settings.allowed_chats
        if chat is None or not allowed or chat.id in allowed:
            return True
        log.info("refused chat %s", chat.id)
        query = update.callback_query
        if query is not None:
            await query.answer(tf.text(lang, "refused"))
        elif update.effective_message is not None:
            await update.effective_message.reply_text(tf.text(lang, "refused"), parse_mode=None)
        return False

    async def start(self, update: Update, context: Context) -> None:
        """/start and /help: what the bot knows and how to ask."""
        lang = _user_lang(update)
        if await self._admitted(update, lang) and update.effective_message:
            await update.effective_message.reply_html(tf.start_html(_engine(context).info(), lang))

    async def status(self, update: Update, context: Context) -> None:
        """/status: index size, model and last update (of the newest published version)."""
        lang = _user_lang(update)
        if await self._admitted(update, lang) and update.effective_message:
            engine = _engine(context)
            await asyncio.to_thread(engine.refresh)
            await update.effective_message.reply_html(tf.status_html(engine.info(), lang))

    async def sources(self, update: Update, context: Context) -> None:
        """/sources: the first page of indexed articles, with next/previous buttons."""
        lang = _user_lang(update)
        if await self._admitted(update, lang) and update.effective_message:
            html, keyboard = await self._sources_page(context, 0, lang)
            await update.effective_message.reply_html(html, reply_markup=keyboard)

    async def sources_page(self, update: Update, context: Context) -> None:
        """A next/previous button of /sources: show that page in the same message."""
        query = cast(CallbackQuery, update.callback_query)
        lang = _user_lang(update)
        if not await self._admitted(update, lang):
            return
        await query.answer()
        page = int((query.data or "src:0").split(":", 1)[1])
        html, keyboard = await self._sources_page(context, page, lang)
        await query.edit_message_text(html, reply_markup=keyboard)

    async def _sources_page(self, context: Context, page: int, lang: str
                            ) -> tuple[str, InlineKeyboardMarkup | None]:
        articles = await asyncio.to_thread(_engine(context).articles)
        pages = tf.page_count(len(articles), SOURCES_PER_PAGE)
        page = min(max(page, 0), pages - 1)
        buttons = []
        if page > 0:
            buttons.append(InlineKeyboardButton(tf.text(lang, "prev"),
                                                callback_data=f"src:{page - 1}"))
        if page < pages - 1:
            buttons.append(InlineKeyboardButton(tf.text(lang, "next"),
                                                callback_data=f"src:{page + 1}"))
        keyboard = InlineKeyboardMarkup([buttons]) if buttons else None
        return tf.sources_page_html(articles, page, SOURCES_PER_PAGE, lang), keyboard

    async def ask_command(self, update: Update, context: Context) -> None:
        """/ask QUESTION (also /ask@botname), in any chat."""
        message = cast(Message, update.effective_message)
        question = _COMMAND_PREFIX.sub("", message.text or "", count=1).strip()
        if question:
            await self._answer(update, context, question)
        else:
            await self._hint(update, "ask_usage")

    async def private_text(self, update: Update, context: Context) -> None:
        """Any text in a private chat is a question; whitespace-only text is ignored."""
        text = cast(Message, update.effective_message).text or ""
        if text.strip():
            await self._answer(update, context, text)

    async def group_text(self, update: Update, context: Context) -> None:
        """In groups, only messages that mention the bot or reply to it are questions."""
        message = cast(Message, update.effective_message)
        if not (_replies_to_me(message, context) or _mentions_me(message, context)):
            return
        username = context.bot.username or ""
        question = re.sub(rf"@{re.escape(username)}\b", " ", message.text or "",
                          flags=re.IGNORECASE).strip() if username else (message.text or "")
        if question:
            await self._answer(update, context, question)
        else:
            await self._hint(update, "ask_usage")

    async def not_text(self, update: Update, context: Context) -> None:
        """Photos, stickers, voice...: a short hint (in groups only when addressed)."""
        message = cast(Message, update.effective_message)
        if message.chat.type != ChatType.PRIVATE and not (
                _replies_to_me(message, context) or _mentions_me(message, context)):
            return
        await self._hint(update, "not_text")

    async def _hint(self, update: Update, key: str) -> None:
        """Reply with a one-line hint on how to ask (with an example question)."""
        lang = _user_lang(update)
        if await self._admitted(update, lang) and update.effective_message:
            await update.effective_message.reply_text(
                tf.text(lang, key, example=tf.EXAMPLES[lang][0]), parse_mode=None)

    async def _answer(self, update: Update, context: Context, question: str) -> None:
        """Answer one question: allow list, rate limit, "typing…", engine, reply."""
        message = cast(Message, update.effective_message)
        question = clean_question(question)
        lang = detect_language(question)
        if not await self._admitted(update, lang):
            return
        if not question:
            return
        state = _state(context)
        wait = state.wait_seconds(self.settings.rate_limit_per_minute, time.monotonic())
        if wait:
            await message.reply_text(
                tf.text(lang, "slow_down", n=self.settings.rate_limit_per_minute, s=wait),
                parse_mode=None)
            return
        engine = _engine(context)
        async with _typing(context, message.chat_id), state.lock:
            history = state.history(time.monotonic())
            answer = await asyncio.to_thread(engine.answer, question, None, history)
            last = await _send_answer(message, answer)
            state.remember(question, answer, last.message_id, time.monotonic())

    async def show_quote(self, update: Update, context: Context) -> None:
        """A citation button: answer the callback, then reply with the quoted passage."""
        query = cast(CallbackQuery, update.callback_query)
        lang = _user_lang(update)
        if not await self._admitted(update, lang):
            return
        message = query.message
        n = int((query.data or "q:0").split(":", 1)[1])
        answer = _state(context).answers.get(message.message_id) if message else None
        citation = next((c for c in answer.citations if c.n == n), None) if answer else None
        if message is None or answer is None or citation is None:
            await query.answer(tf.text(lang, "expired"))
            return
        await query.answer()
        await context.bot.send_message(
            message.chat.id, tf.passage_html(citation, answer.lang),
            reply_parameters=ReplyParameters(message.message_id))

    async def on_error(self, update: object, context: Context) -> None:
        """The one error handler: log the traceback, tell the user briefly."""
        update_id = update.update_id if isinstance(update, Update) else None
        chat = update.effective_chat if isinstance(update, Update) else None
        if isinstance(context.error, FloodWaitTooLong):
            # Telegram will not take the reply now; an apology would be refused just the same.
            log.error("could not deliver the reply to update %s in chat %s: %s", update_id,
                      chat.id if chat else None, context.error)
            return
        log.error("failed to handle update %s", update_id, exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        try:
            await context.bot.send_message(update.effective_chat.id,
                                           tf.text(_user_lang(update), "apology"),
                                           parse_mode=None)
        except TelegramError as exc:
            log.warning("could not send the apology to chat %s: %s",
                        update.effective_chat.id, exc)


def _replies_to_me(message: Message, context: Context) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == context.bot.id)


def _mentions_me(message: Message, context: Context) -> bool:
    username = (context.bot.username or "").casefold()
    entities = message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
    entities.update(message.parse_caption_entities(
        [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]))
    for entity, text in entities.items():
        if entity.type == MessageEntity.MENTION and text.casefold() == f"@{username}":
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user \
                and entity.user.id == context.bot.id:
            return True
    return False


@contextlib.asynccontextmanager
async def _typing(context: Context, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" in the chat until the block ends, without delaying the work."""

    async def keep_typing() -> None:
        while True:
            try:
                await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as exc:  # the indicator is cosmetic; never fail an answer
                log.debug("typing indicator for chat %s failed: %s", chat_id, exc)
            await asyncio.sleep(TYPING_EVERY)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _send_answer(message: Message, answer: Answer) -> Message:
    """Send the answer's parts; the last one carries the citation buttons. Returns it."""
    parts = tf.answer_html(answer)
    buttons = [InlineKeyboardButton(label, callback_data=f"q:{n}")
               for label, n in tf.citation_buttons(answer)]
    keyboard = InlineKeyboardMarkup([buttons[i:i + 4] for i in range(0, len(buttons), 4)]) \
        if buttons else None
    quote = message.chat.type != ChatType.PRIVATE  # in groups, show which question this answers
    sent = message
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        sent = await message.reply_html(part, do_quote=quote and i == 0,
                                        reply_markup=keyboard if last else None)
    return sent


# --- flood control -----------------------------------------------------------------------------

class FloodWaitTooLong(TelegramError):
    """Telegram's flood control asked for a longer total wait than :data:`FLOOD_WAIT_LIMIT`."""


class PatientRateLimiter(AIORateLimiter):
    """python-telegram-bot's rate limiter, retrying 429s for a bounded total wait.

    :class:`AIORateLimiter` keeps within Telegram's limits and, on a 429, pauses all requests
    for ``retry_after`` and retries; but it gives up after a fixed number of retries, so
    three 429s in a row dropped an answer. Here a request is retried for as long as the sum
    of the waits Telegram asked for stays within ``max_wait`` seconds; past that it fails
    with :class:`FloodWaitTooLong`, which the error handler logs with the chat (an answer
    is never dropped silently).

    Args:
        max_wait: The bound on one request's total wait, in seconds.
    """

    def __init__(self, max_wait: float = FLOOD_WAIT_LIMIT) -> None:
        # The count of retries is bounded by the total wait instead (each wait is >= 1 s).
        super().__init__(max_retries=int(max_wait) + 1)
        self.max_wait = max_wait

    async def process_request(self, callback: Any, args: Any, kwargs: dict[str, Any],
                              endpoint: str, data: dict[str, Any],
                              rate_limit_args: int | None) -> Any:
        """Run the request through the limiter, counting the waits Telegram asks for."""
        waited = 0.0

        async def counted(*a: Any, **kw: Any) -> Any:
            nonlocal waited
            try:
                return await callback(*a, **kw)
            except RetryAfter as exc:
                pause = _seconds(exc.retry_after)
                if waited + pause > self.max_wait:
                    raise FloodWaitTooLong(
                        f"Telegram's flood control asked {endpoint} to wait {pause:.0f} s more "
                        f"after {waited:.0f} s; giving up (limit {self.max_wait:.0f} s)"
                    ) from exc
                waited += pause
                log.warning("Telegram flood control: %s waits %.0f s", endpoint, pause)
                raise

        return await super().process_request(counted, args, kwargs, endpoint, data, None)


def _seconds(value: object) -> float:
    """``retry_after`` as seconds (an int, or a timedelta in newer library versions)."""
    total = getattr(value, "total_seconds", None)
    return float(total()) if callable(total) else float(value)  # type: ignore[arg-type]


# --- building and running ------------------------------------------------------------------

def build_application(settings: Settings, engine_factory: Callable[[], Engine]) -> App:
    """Build the bot application with all handlers registered.

    The engine is created by ``engine_factory`` in ``post_init`` (in a worker thread, so the
    event loop stays responsive) and stored in ``application.bot_data["engine"]``.

    Args:
        settings: The token, Bot API URL, allow list and rate limit are read from here.
        engine_factory: Loads the engine; called once, when the application starts.

    Returns:
        The application, ready for :func:`run_application` (or ``initialize``/``start``).

    Raises:
        ConfigError: ``TELEGRAM_BOT_TOKEN`` is not set.
    """
    token = settings.telegram_bot_token.strip()
    if not token:
        raise ConfigError(MISSING_TOKEN)
    protect_logs(token)

    async def post_init(application: App) -> None:
        engine = await asyncio.to_thread(engine_factory)
        application.bot_data[ENGINE] = engine
        info = engine.info()
        log.info("answering from %d articles (index version %s) as @%s",
                 info.articles, info.version, application.bot.username)
        await _set_commands(application)

    application: App = (
        Application.builder()
        .token(token)
        .base_url(settings.telegram_api_url)
        .base_file_url(_file_url(settings.telegram_api_url))
        .defaults(Defaults(parse_mode=ParseMode.HTML, allow_sending_without_reply=True,
                           link_preview_options=LinkPreviewOptions(is_disabled=True)))
        .rate_limiter(PatientRateLimiter(FLOOD_WAIT_LIMIT))
        .concurrent_updates(True)
        .post_init(post_init)
        .build()
    )
    handlers = _Handlers(settings)
    application.add_handlers([
        CommandHandler(("start", "help"), handlers.start, filters=_NEW_MESSAGE),
        CommandHandler("ask", handlers.ask_command, filters=_NEW_MESSAGE),
        CommandHandler("sources", handlers.sources, filters=_NEW_MESSAGE),
        CommandHandler("status", handlers.status, filters=_NEW_MESSAGE),
        MessageHandler(_NEW_MESSAGE & filters.ChatType.PRIVATE & filters.TEXT
                       & ~filters.COMMAND, handlers.private_text),
        MessageHandler(_NEW_MESSAGE & filters.ChatType.GROUPS & filters.TEXT
                       & ~filters.COMMAND, handlers.group_text),
        MessageHandler(_NEW_MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
                       handlers.not_text),
        CallbackQueryHandler(handlers.show_quote, pattern=r"^q:\d+$"),
        CallbackQueryHandler(handlers.sources_page, pattern=r"^src:\d+$"),
    ])
    application.add_error_handler(handlers.on_error)
    return application


def _file_url(api_url: str) -> str:
    """The file download URL that goes with a Bot API URL (``.../bot`` -> ``.../file/bot``)."""
    base, slash, last = api_url.rstrip("/").rpartition("/")
    return f"{base}/file/{last}" if slash else api_url


async def _set_commands(application: App) -> None:
    """Register the command menu in both languages; a failure only costs the menu."""
    menus = {
        None: [("ask", "Ask a question"), ("sources", "The indexed articles"),
               ("status", "Index size, model and last update"), ("help", "How to ask")],
        "id": [("ask", "Ajukan pertanyaan"), ("sources", "Artikel yang diindeks"),
               ("status", "Ukuran indeks, model, dan pembaruan terakhir"),
               ("help", "Cara bertanya")],
    }
    for language, commands in menus.items():
        try:
            await application.bot.set_my_commands([BotCommand(c, d) for c, d in commands],
                                                  language_code=language)
        except TelegramError as exc:
            log.warning("could not set the command menu: %s", exc)


def run_application(application: App, settings: Settings,
                    stop_signals: Sequence[int] | None = STOP_SIGNALS) -> None:
    """Run a built application until SIGINT/SIGTERM (or ``stop_running``), then shut down.

    Polls for updates unless ``settings.webhook_url`` is set, then serves a webhook on
    ``webhook_listen:webhook_port`` with the secret token. The engine is loaded before the
    first update is fetched; on shutdown the questions in flight are answered first.

    Args:
        application: From :func:`build_application`.
        settings: Webhook settings are read from here.
        stop_signals: Signals that stop the bot. Pass ``None`` to run outside the main
            thread (then stop it with ``application.stop_running()`` from its loop).

    Raises:
        ConfigError: Telegram rejected the token.
        KabarError: The Bot API could not be reached, even after retries.
    """
    # Each run gets its own loop, which the library closes at the end; the thread's default
    # loop may have been closed by an earlier run.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        try:
            loop.run_until_complete(_connect(application, settings))
        except BaseException:
            loop.run_until_complete(application.bot.shutdown())
            loop.close()
            raise
        if settings.webhook_url:
            application.run_webhook(
                listen=settings.webhook_listen, port=settings.webhook_port,
                url_path=urlparse(settings.webhook_url).path.lstrip("/"),
                webhook_url=settings.webhook_url,
                secret_token=settings.webhook_secret or None,
                allowed_updates=ALLOWED_UPDATES, bootstrap_retries=BOOTSTRAP_RETRIES,
                stop_signals=stop_signals)
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES,
                                    bootstrap_retries=BOOTSTRAP_RETRIES,
                                    stop_signals=stop_signals)
    except InvalidToken:  # revoked after startup, say
        raise ConfigError(REJECTED_TOKEN) from None
    except TelegramError as exc:
        raise _unreachable(settings, exc) from None
    finally:
        asyncio.set_event_loop(None)


async def _connect(application: App, settings: Settings) -> None:
    """Check the token with getMe, retrying transient failures with growing pauses.

    The library would retry too, but it logs a traceback for a rejected token; done here, a
    rejected token is one clear line and an unreachable server a warning per attempt.
    """
    delay = 1.0
    for attempt in range(BOOTSTRAP_RETRIES + 1):
        try:
            await application.bot.initialize()
            return
        except InvalidToken:
            raise ConfigError(REJECTED_TOKEN) from None
        except (NetworkError, RetryAfter) as exc:
            if attempt == BOOTSTRAP_RETRIES:
                raise _unreachable(settings, exc) from None
            log.warning("%s; retrying in %.0f s", _unreachable(settings, exc), delay)
            await asyncio.sleep(delay)
            delay = min(30.0, delay * 2)


def _unreachable(settings: Settings, exc: Exception) -> KabarError:
    host = urlparse(settings.telegram_api_url).netloc or settings.telegram_api_url
    message = redact(str(exc), settings.telegram_bot_token)
    return KabarError(f"could not reach the Telegram Bot API at {host}: {message}")


def run_bot(settings: Settings, update: bool = True) -> int:
    """Run the bot until SIGINT/SIGTERM: ``kabar bot``.

    Args:
        settings: Token, Bot API URL, allow list, rate limit, webhook and index settings.
        update: Bring the index up to date before loading it.

    Returns:
        The exit status: 0 after a clean shutdown.

    Raises:
        ConfigError: The token is missing or was rejected (the message never shows it).
        KabarError: The index could not be loaded or the Bot API could not be reached.
    """
    from bot.cli import open_engine

    if not settings.telegram_bot_token.strip():
        raise ConfigError(MISSING_TOKEN)
    setup_logging(settings.log_level, settings.log_message_text)
    application = build_application(settings, lambda: open_engine(settings, update))
    run_application(application, settings)
    return 0


# --- keeping the token out of logs ------------------------------------------------------------

class TokenFilter(logging.Filter):
    """Replaces the bot token in log records (httpx logs request URLs, which contain it).

    Installed on the root logger's handlers, it sees every record that reaches them, whatever
    logger it came from; the record is changed in place, so later handlers get it redacted too.
    """

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the message, its arguments and any formatted traceback; keep the record."""
        message = record.getMessage()
        if self.token in message or _secret(self.token) in message:
            record.msg, record.args = redact(message, self.token), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.token)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.token)
        return True


def redact(text: str, token: str) -> str:
    """``text`` with the token (and its secret part after the colon) replaced."""
    if not token:
        return text
    text = text.replace(token, _REDACTED)
    secret = _secret(token)
    return text.replace(secret, _REDACTED) if secret != token else text


def _secret(token: str) -> str:
    # The part after the colon is what makes a token secret; it is long enough (35 characters
    # for real tokens) not to occur by chance. Short test tokens are only matched whole.
    secret = token.partition(":")[2]
    return secret if len(secret) >= 16 else token


def protect_logs(token: str) -> None:
    """Keep the token out of every log line: redact it on all root handlers, quiet httpx."""
    # httpx logs every request URL at INFO; the URL holds the token. Its warnings still show.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, TokenFilter) and f.token == token for f in handler.filters):
            handler.addFilter(TokenFilter(token))
