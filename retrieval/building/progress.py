"""What a long build shows while it runs: files read, the model loading, then sentences
embedded, rate and ETA.

Only on a terminal (the CLI decides: stderr is a TTY); piped or ``--json`` output gets
nothing but the summary. The line is drawn on stderr and cleared when done, so the summary
line is all that stays. (tqdm was tried: it drew nothing on some pseudo-terminals.)
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from typing import Protocol, TextIO, TypeVar

__all__ = ["BuildProgress", "Quiet", "TerminalProgress", "announce_loading", "progress_for"]

T = TypeVar("T")


class BuildProgress(Protocol):
    """Receives a build's progress."""

    def files(self, done: int, total: int) -> None:
        """``done`` of ``total`` article files have been read."""
        ...

    def loading(self) -> None:
        """The embedding model is being loaded (seconds with nothing else to show)."""
        ...

    def sentences(self, done: int, total: int) -> None:
        """``done`` of ``total`` sentences have been embedded."""
        ...

    def close(self) -> None:
        """The build is over (or failed): clear what was drawn."""
        ...


class Quiet:
    """Shows nothing."""

    def files(self, done: int, total: int) -> None:
        """Nothing."""

    def loading(self) -> None:
        """Nothing."""

    def sentences(self, done: int, total: int) -> None:
        """Nothing."""

    def close(self) -> None:
        """Nothing."""


class TerminalProgress:
    """One status line on a terminal, redrawn at most a few times a second: first the files
    read, then the sentences embedded with their rate and the time left.

    Args:
        stream: Where to draw (stderr by default).
        interval: Seconds between redraws.
    """

    def __init__(self, stream: TextIO | None = None, interval: float = 0.25) -> None:
        self._stream = stream or sys.stderr
        self._interval = interval
        self._files = 0
        self._drawn = 0.0
        self._width = 0
        self._started: float | None = None

    def files(self, done: int, total: int) -> None:
        """Report the files read."""
        self._files = done
        self._draw(f"Reading articles: {done}/{total} files", done == total)

    def loading(self) -> None:
        """Say the model is loading (it takes seconds; the line would otherwise stand still)."""
        self._draw(f"{self._files} files read; loading the embedding model …", True)

    def sentences(self, done: int, total: int) -> None:
        """Report the sentences embedded, their rate and the time left."""
        now = time.monotonic()
        if self._started is None or done == 0:
            self._started = now
        elapsed = now - self._started
        rate = done / elapsed if elapsed > 0 and done else 0.0
        eta = f"{_clock((total - done) / rate)} left" if rate else "ETA --:--"
        self._draw(f"{self._files} files read; embedded {done}/{total} sentences, "
                   f"{rate:.0f}/s, {eta}", done == total)

    def close(self) -> None:
        """Clear the line, so only the summary stays."""
        if self._width:
            self._write("\r" + " " * self._width + "\r")
            self._width = 0

    def _draw(self, line: str, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._drawn < self._interval:
            return
        self._drawn = now
        line = line[:max(20, shutil.get_terminal_size().columns - 1)]
        self._write("\r" + line + " " * max(0, self._width - len(line)))
        self._width = len(line)

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # a closed or broken terminal never stops a build
            pass


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    return (f"{hours}:" if hours else "") + f"{rest // 60:02d}:{rest % 60:02d}"


def announce_loading(load: Callable[[], T], progress: BuildProgress) -> Callable[[], T]:
    """``load`` (the model loader), telling ``progress`` before the first call."""
    announced = False

    def announced_load() -> T:
        nonlocal announced
        if not announced:
            announced = True
            progress.loading()
        return load()

    return announced_load


def progress_for(show: bool | BuildProgress) -> BuildProgress:
    """``True`` → a terminal bar, ``False`` → nothing, or the given reporter as it is."""
    if isinstance(show, bool):
        return TerminalProgress() if show else Quiet()
    return show
