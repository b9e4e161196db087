"""Telegram's flood control: retry 429s for a bounded total wait, never drop silently."""

from __future__ import annotations

import logging
from typing import Any

from telegram.error import RetryAfter, TelegramError
from telegram.ext import AIORateLimiter

__all__ = ["FLOOD_WAIT_LIMIT", "FloodWaitTooLong", "PatientRateLimiter"]

log = logging.getLogger(__name__)

#: How long one request may wait in total for Telegram's flood control (429 "retry after")
#: before it is given up, in seconds. Telegram's waits are usually seconds, at most about a
#: minute for a busy group; an answer is worth waiting five minutes for.
FLOOD_WAIT_LIMIT = 300.0


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
