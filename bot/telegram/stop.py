"""Stopping ``kabar bot``: SIGTERM, SIGINT (Ctrl-C) and SIGABRT always end it, within a bound.

On the first signal the bot stops fetching updates and lets the answers in flight finish, as
python-telegram-bot's own stop does. An answer stuck in a slow LLM call or a hung read cannot
be interrupted in its thread, though, and Python waits for such threads at exit: a signal
alone once left the bot running for minutes. So the first signal also starts a watchdog that
ends the process after ``KABAR_STOP_GRACE`` seconds, and a second signal ends it at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence

__all__ = ["FORCED_EXIT", "Stopper"]

log = logging.getLogger(__name__)

#: The exit status when answers in flight were abandoned (0 means every one was sent).
FORCED_EXIT = 1


class Stopper:
    """Turns stop signals into a bounded shutdown of the application on one event loop.

    Args:
        grace: Seconds the answers in flight get after the first signal.
        signals: The signals that stop the bot.
    """

    def __init__(self, grace: float, signals: Sequence[int]) -> None:
        self.grace = grace
        self.signals = tuple(signals)
        self._stopping = False

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Handle the signals on ``loop`` (which must run in the main thread)."""
        for sig in self.signals:
            try:
                loop.add_signal_handler(sig, self._on_signal, sig)
            except NotImplementedError:  # Windows' loops: a plain handler does the same
                signal.signal(sig, lambda number, _: self._on_signal(number))

    def _on_signal(self, sig: int) -> None:
        name = signal.Signals(sig).name
        if self._stopping:
            log.warning("%s again: stopping now, without the answers in flight", name)
            _exit(FORCED_EXIT)
        self._stopping = True
        log.info("%s: stopping once the answers in flight are sent (at most %.0f s)", name,
                 self.grace)
        threading.Thread(target=self._watchdog, name="kabar-stop", daemon=True).start()
        # As python-telegram-bot's own handler does: the loop's run_* call returns, and the
        # library stops fetching, waits for the handlers and shuts down.
        raise SystemExit

    def _watchdog(self) -> None:
        # A daemon thread keeps running while the main thread waits for worker threads at
        # exit; a clean exit before the deadline simply ends it.
        time.sleep(self.grace)
        log.warning("answers still in flight %.0f s after the stop signal (KABAR_STOP_GRACE); "
                    "stopping without them", self.grace)
        _exit(FORCED_EXIT)


def _exit(status: int) -> None:
    """End the process now: stuck worker threads are neither joined nor waited for."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed, or a broken pipe
            stream.flush()
    os._exit(status)
