"""Getting the bot's messages through: Telegram's flood control (429s retried for a bounded
total wait, never dropped silently) and transient network failures (retried with backoff)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter

__all__ = ["FLOOD_WAIT_LIMIT", "RETRIED_METHODS", "SEND_RETRIES", "FloodWaitTooLong",
           "PatientRateLimiter"]

log = logging.getLogger(__name__)

#: How long one request may wait in total for Telegram's flood control (429 "retry after")
#: before it is given up, in seconds. Telegram's waits are usually seconds, at most about a
#: minute for a busy group; an answer is worth waiting five minutes for.
FLOOD_WAIT_LIMIT = 300.0
#: Retries of a request that failed with a network error (a 502, a dropped connection, a
#: timeout), after pauses of RETRY_PAUSE, 2×, 4× … seconds: about 7 s in all, past the blips
#: seen in practice, short enough that a real outage ends in the error handler soon.
SEND_RETRIES = 3
RETRY_PAUSE = 1.0
#: The requests that carry something to a chat. Others are retried elsewhere (getMe at
#: start, getUpdates by the library) or not worth it (the cosmetic "typing…").
RETRIED_METHODS = frozenset({"sendMessage", "editMessageText", "deleteMessage",
                             "answerCallbackQuery", "setMyCommands"})


class FloodWaitTooLong(TelegramError):
    """Telegram's flood control asked for a longer total wait than :data:`FLOOD_WAIT_LIMIT`."""


class PatientRateLimiter(AIORateLimiter):
    """python-telegram-bot's rate limiter, retrying 429s for a bounded total wait and
    network failures a bounded number of times.

    :class:`AIORateLimiter` keeps within Telegram's limits and, on a 429, pauses all requests
    for ``retry_after`` and retries; but it gives up after a fixed number of retries, so
    three 429s in a row dropped an answer. Here a request is retried for as long as the sum
    of the waits Telegram asked for stays within ``max_wait`` seconds; past that it fails
    with :class:`FloodWaitTooLong`, which the error handler logs with the chat (an answer
    is never dropped silently).

    A request of :data:`RETRIED_METHODS` that fails with a network error (not a 400, which
    would fail again) is retried :data:`SEND_RETRIES` times with doubling pauses, so a blip
    no longer costs the user the answer. A retry after a timeout may show a message twice,
    if Telegram had taken it; a rare duplicate is better than a lost answer.

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
        """Run the request through the limiter, retrying network failures with backoff."""
        pause = RETRY_PAUSE
        for attempt in range(SEND_RETRIES + 1):
            try:
                return await self._limited(callback, args, kwargs, endpoint, data)
            except NetworkError as exc:
                if isinstance(exc, BadRequest) or endpoint not in RETRIED_METHODS \
                        or attempt == SEND_RETRIES:
                    raise
                log.warning("%s failed (%s); retry %d of %d in %.1f s", endpoint, exc,
                            attempt + 1, SEND_RETRIES, pause)
                await asyncio.sleep(pause)
                pause *= 2
        raise AssertionError("unreachable")  # the last attempt returned or raised

    async def _limited(self, callback: Any, args: Any, kwargs: dict[str, Any], endpoint: str,
                       data: dict[str, Any]) -> Any:
        """One attempt through the limiter, counting the waits Telegram asks for."""
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
