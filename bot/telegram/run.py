"""Building and running the bot application: polling or webhook, clean start and stop."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias
from urllib.parse import urlparse

from telegram import BotCommand, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    filters,
)

from bot.app import open_app
from bot.format import file_warnings, index_summary
from bot.logs import setup_logging
from bot.telegram.alerts import close_store, start_alerts, stop_alerts
from bot.telegram.flood import FLOOD_WAIT_LIMIT, PatientRateLimiter
from bot.telegram.follow import MENU, follow_handlers
from bot.telegram.handlers import Handlers
from bot.telegram.redact import protect_logs, redact
from bot.telegram.state import ENGINE
from bot.telegram.stop import Stopper
from retrieval.config import Settings
from retrieval.engine import Engine
from retrieval.errors import ConfigError, KabarError

__all__ = ["MISSING_TOKEN", "REJECTED_TOKEN", "build_application", "run_application", "run_bot"]

log = logging.getLogger(__name__)

App: TypeAlias = Application[Any, Any, Any, Any, Any, Any]

MISSING_TOKEN = ("TELEGRAM_BOT_TOKEN is not set — create a bot with @BotFather and put its "
                 "token in .env")
REJECTED_TOKEN = ("Telegram rejected TELEGRAM_BOT_TOKEN — check the token @BotFather gave you "
                  "(and TELEGRAM_API_URL when you use your own Bot API server)")
#: Retries of getMe/deleteWebhook at startup before giving up (with growing pauses).
BOOTSTRAP_RETRIES = 5
ALLOWED_UPDATES = ["message", "callback_query"]
#: Ctrl-C, ``kill`` and ``docker stop`` all end the bot cleanly.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)
_NEW_MESSAGE = filters.UpdateType.MESSAGE


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
        await start_alerts(application.bot_data, settings, engine, application.bot)
        await _set_commands(application)

    handlers = Handlers(settings)

    async def post_stop(application: App) -> None:
        await stop_alerts(application.bot_data)

    async def post_shutdown(application: App) -> None:
        handlers.llm.shutdown()
        close_store(application.bot_data)

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
        .post_stop(post_stop)
        .post_shutdown(post_shutdown)
        .build()
    )
    _add_handlers(application, handlers)
    return application


def _add_handlers(application: App, handlers: Handlers) -> None:
    """Register the commands, messages and buttons the bot answers, and the error handler."""
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
        *follow_handlers(handlers),
    ])
    application.add_error_handler(handlers.on_error)


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
        commands = [*commands[:-1], *MENU[language], commands[-1]]
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
    first update is fetched; on a stop signal the questions in flight are answered first,
    for at most ``settings.stop_grace`` seconds (:mod:`.stop`: then the process exits).

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
    if stop_signals:  # handled here, not by the library, so that stopping is bounded
        Stopper(settings.stop_grace, stop_signals).install(loop)
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
                stop_signals=None)
        else:
            application.run_polling(allowed_updates=ALLOWED_UPDATES,
                                    bootstrap_retries=BOOTSTRAP_RETRIES, stop_signals=None)
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
    if not settings.telegram_bot_token.strip():
        raise ConfigError(MISSING_TOKEN)
    setup_logging(settings.log_level, settings.log_message_text)
    application = build_application(settings, lambda: _open_engine(settings, update))
    run_application(application, settings)
    return 0


def _open_engine(settings: Settings, update: bool) -> Engine:
    """The engine, after logging what bringing the index up to date did."""
    app = open_app(settings, update=update)
    if app.update_error:
        log.warning("could not update the index (%s); answering from the existing one",
                    app.update_error)
    if app.report is not None:
        for warning in file_warnings(app.report):
            log.warning("%s", warning)
        if app.report.changed:
            log.info("%s", index_summary(app.report, str(settings.index_dir)))
    return app.engine
