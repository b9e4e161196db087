"""The bot's background work for followed stories: noticing new index versions, daily
digests, and sending the outbox.

:class:`Alerts` runs two tasks beside the bot's polling (started by ``post_init``, cancelled by
``post_stop``):

- the watcher, every ``KABAR_FOLLOW_POLL`` seconds, switches the engine to a newly published
  version and processes it (:func:`bot.follow.process_update`, in a worker thread), and queues
  the daily digests that are due in ``KABAR_TIMEZONE``;
- the sender drains the outbox. A message is marked sent only after Telegram took it, so a
  429 or a network failure delays it (the row stays, due again later) and never loses it.
  A chat that blocked the bot (403) is unsubscribed. The window between Telegram taking a
  message and the mark being written is the one place a crash (``kill -9``) can act: the
  message is then sent again after the restart. A rare repeat was chosen over a silent
  loss, which marking before sending would risk instead (docs/telegram.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.follow import FollowStore, Outgoing, digest_since, process_update
from bot.follow.digest import FIRST_DIGEST, group_reports
from bot.telegram.flood import FloodWaitTooLong
from bot.telegram.follow_render import alert_html, digest_html
from retrieval.config import Settings
from retrieval.engine import Engine

__all__ = ["ALERTS", "FOLLOW", "Alerts", "close_store", "since_label", "start_alerts",
           "stop_alerts"]

log = logging.getLogger(__name__)

#: Keys of the follow database and of the running :class:`Alerts` in
#: ``application.bot_data``.
FOLLOW, ALERTS = "follow", "alerts"
#: Messages sent at once; the rate limiter keeps within Telegram's limits.
SEND_AT_ONCE = 8
#: Pauses before retrying a message that failed (doubling per failure, at most the last).
RETRY_FIRST, RETRY_MOST = 5.0, 600.0
#: A 400 that means the chat is gone for good, like a 403.
_GONE = ("chat not found", "user is deactivated", "group chat was deleted")


async def start_alerts(bot_data: dict[str, Any], settings: Settings, engine: Engine,
                       bot: Bot) -> None:
    """Open the follow database and start the watcher and the sender (``post_init``)."""
    store = bot_data[FOLLOW] = await asyncio.to_thread(FollowStore, settings.follow_db)
    alerts = bot_data[ALERTS] = Alerts(settings, store, engine, bot)
    alerts.start()


async def stop_alerts(bot_data: dict[str, Any]) -> None:
    """Stop the watcher and the sender (``post_stop``)."""
    alerts = bot_data.get(ALERTS)
    if alerts is not None:
        await alerts.stop()


def close_store(bot_data: dict[str, Any]) -> None:
    """Close the follow database (``post_shutdown``)."""
    store = bot_data.get(FOLLOW)
    if store is not None:
        store.close()


def since_label(since: float, zone: str) -> str:
    """A digest's start as shown: ``2026-12-07 07:00`` in the bot's time zone."""
    return datetime.fromtimestamp(since, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


class Alerts:
    """The watcher and the sender of one bot.

    Args:
        settings: Poll interval, threshold, time zone and allow list.
        store: The follow database.
        engine: The bot's engine.
        bot: The application's bot (through its rate limiter).
    """

    def __init__(self, settings: Settings, store: FollowStore, engine: Engine,
                 bot: Bot) -> None:
        self.settings, self.store, self.engine, self.bot = settings, store, engine, bot
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start the watcher and the sender in the running loop."""
        self._tasks = [asyncio.create_task(self._watch(), name="kabar-follow-watch"),
                       asyncio.create_task(self._send_all(), name="kabar-follow-send")]

    async def stop(self) -> None:
        """Stop both; a message being sent is abandoned unmarked (sent again next time)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def wake(self) -> None:
        """Something was queued: the sender looks at once."""
        self._wake.set()

    async def _watch(self) -> None:
        while True:
            try:
                result = await asyncio.to_thread(process_update, self.engine, self.store,
                                                 self.settings.follow_min_score)
                queued = await asyncio.to_thread(self._queue_dailies, time.time())
                if (result is not None and result.alerts) or queued:
                    self.wake()
            except Exception:  # keep watching; the next tick tries again
                log.exception("could not process the newest index version for followers")
            await asyncio.sleep(self.settings.follow_poll)

    def _queue_dailies(self, now: float) -> int:
        """Queue each daily digest whose time has come today (once a day per chat)."""
        zone = ZoneInfo(self.settings.timezone)
        local = datetime.fromtimestamp(now, zone)
        today, clock = local.strftime("%Y-%m-%d"), local.strftime("%H:%M")
        queued = 0
        for chat_id, at, last in self.store.daily():
            if last == today or clock < at:
                continue
            since = self.store.last_digest(chat_id) or now - FIRST_DIGEST
            reports = [r for s in digest_since(self.store, since, chat_id) for r in s.reports]
            lang = reports[0].lang if reports else "en"
            self.store.queue_daily(chat_id, today, reports, lang, now)
            queued += bool(reports)
        return queued

    async def _send_all(self) -> None:
        while True:
            try:
                due = await asyncio.to_thread(self.store.due, time.time(), SEND_AT_ONCE)
                if due:
                    await asyncio.gather(*(self._send(o) for o in due))
                    continue
                later = await asyncio.to_thread(self.store.next_due)
            except Exception:  # the database was busy, say: the rows wait, the sender too
                log.exception("could not send the queued alerts; retrying")
                later = time.time() + 1.0
            pause = 1.0 if later is None else min(1.0, max(0.05, later - time.time()))
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), pause)

    async def _send(self, outgoing: Outgoing) -> None:
        """Send one message; mark it sent, postpone it, or give it up (chat gone)."""
        chat = outgoing.chat_id
        allowed = self.settings.allowed_chats
        try:
            if allowed and chat not in allowed:
                raise Forbidden("the chat is not in KABAR_ALLOWED_CHATS")
            await self._deliver(outgoing)
        except (Forbidden, BadRequest) as exc:
            if isinstance(exc, Forbidden) or any(g in str(exc).lower() for g in _GONE):
                log.info("chat %s cannot be written to (%s): its follows are removed", chat, exc)
                await asyncio.to_thread(self.store.forget_chat, chat)
            else:  # the same message would be refused again
                log.error("Telegram refused the %s for chat %s: %s", outgoing.kind, chat, exc)
                await asyncio.to_thread(self.store.drop, outgoing.id)
        except (RetryAfter, FloodWaitTooLong, NetworkError) as exc:
            pause = _retry_after(exc) or min(RETRY_MOST, RETRY_FIRST * 2 ** outgoing.tries)
            log.warning("%s for chat %s delayed %.0f s: %s", outgoing.kind, chat, pause, exc)
            await asyncio.to_thread(self.store.postpone, outgoing.id, time.time() + pause)
        except TelegramError as exc:
            log.error("could not send the %s to chat %s: %s", outgoing.kind, chat, exc)
            await asyncio.to_thread(self.store.postpone, outgoing.id, time.time() + RETRY_MOST)
        else:
            await asyncio.to_thread(self.store.sent, outgoing.id, time.time())

    async def _deliver(self, outgoing: Outgoing) -> None:
        reports = await asyncio.to_thread(self.store.reports, outgoing.reports, True)
        if not reports:  # their stories were unfollowed since: nothing to say
            return
        if outgoing.kind == "alert":
            html, buttons = alert_html(reports, outgoing.lang)
            keyboard = [InlineKeyboardButton(label, callback_data=f"fr:{rid}")
                        for label, rid in buttons]
            await self.bot.send_message(outgoing.chat_id, html, reply_markup=InlineKeyboardMarkup(
                [keyboard[i:i + 4] for i in range(0, len(keyboard), 4)]))
            return
        since = since_label(min(r.at for r in reports), self.settings.timezone)
        for part in digest_html(group_reports(reports), since, outgoing.lang):
            await self.bot.send_message(outgoing.chat_id, part)


def _retry_after(exc: Exception) -> float:
    """The wait Telegram asked for, in seconds, or 0."""
    value = getattr(exc, "retry_after", None)
    if value is None:
        return 0.0
    seconds = getattr(value, "total_seconds", None)
    return float(seconds()) if callable(seconds) else float(value)
