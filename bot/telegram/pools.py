"""Where the bot's LLM-written answers run: their own bounded pool, never in other chats' way.

An answer the LLM writer writes takes as long as the LLM server lets it (up to
``KABAR_LLM_TIMEOUT``). Run in the event loop's default executor, like every other engine
call, six slow LLM calls once occupied all of its threads and every other chat got nothing
for minutes. Here they run in a pool of ``KABAR_LLM_WORKERS`` threads of their own; the
extractive answers, ``/status`` and ``/sources`` keep the default executor, where only quick
work runs.

A question that finds every LLM thread busy is not queued: it gets the extractive answer at
once. That is the answer the LLM writer falls back to anyway (on a timeout, an error, a reply
that does not verify), quoted and cited; a queue would only move the wait from a thread to the
user, and a "busy, try again" note would send them back into the same full pool.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

__all__ = ["LlmPool"]

T = TypeVar("T")


class LlmPool:
    """A bounded pool of threads for LLM-written answers; full means "answer without it".

    Args:
        workers: How many answers the LLM may be writing at once (``KABAR_LLM_WORKERS``).
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kabar-llm")
        self._lock = threading.Lock()
        self._busy = 0

    @property
    def busy(self) -> int:
        """Threads writing an answer now (a call counts until its thread is done with it,
        even when the question that started it was given up)."""
        with self._lock:
            return self._busy

    def submit(self, call: Callable[[], T]) -> asyncio.Future[T] | None:
        """Start ``call`` on a free thread and return its future; ``None`` when all are busy.

        Nothing ever waits in a queue: a call is accepted only while a thread is free.
        """
        with self._lock:
            if self._busy >= self.workers:
                return None
            self._busy += 1
        try:
            started = self._executor.submit(call)
        except RuntimeError:  # shut down: the bot is stopping
            self._release()
            return None
        started.add_done_callback(lambda _: self._release())
        return asyncio.wrap_future(started)

    def _release(self) -> None:
        with self._lock:
            self._busy -= 1

    def shutdown(self) -> None:
        """Accept no more calls; threads still writing are not waited for."""
        self._executor.shutdown(wait=False, cancel_futures=True)
