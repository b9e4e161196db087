"""Keeping the index fresh: watch the seeds folder and re-index once changes settle."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from retrieval.errors import KabarError
from retrieval.reading import fingerprint

log = logging.getLogger(__name__)


def watch(
    seeds_dir: Path,
    rebuild: Callable[[], None],
    settle: float = 1.5,
    poll: float = 2.0,
    stop: threading.Event | None = None,
    initial: dict[str, tuple[int, int]] | None = None,
) -> None:
    """Call ``rebuild`` whenever the seeds folder changed and then stayed still.

    File-system events (via watchdog) wake the loop early; a periodic look at the folder's
    file list catches what events miss (network file systems, editors that swap files). A
    rebuild starts only after the list of names, sizes and modification times has stayed the
    same for ``settle`` seconds, so a file still being written is never read half-way.

    Args:
        seeds_dir: The folder to watch.
        rebuild: Brings the index up to date; errors it raises are logged and the watch
            goes on (the published index stays as it was).
        settle: Seconds without change before rebuilding.
        poll: Seconds between looks when no event arrives.
        stop: Set it to end the loop (Ctrl-C also ends it).
        initial: The folder's state the index was last built from; a difference found at
            the first look triggers a rebuild (files saved while that build ran).
    """
    stop = stop or threading.Event()
    wake = threading.Event()
    observer = _start_observer(seeds_dir, wake)
    try:
        seen = _snapshot(seeds_dir) if initial is None else initial
        while not stop.is_set():
            wake.wait(poll)
            wake.clear()
            if stop.is_set():
                break
            now = _snapshot(seeds_dir)
            if now == seen:
                continue
            # Something changed: wait until the folder has been still for `settle` seconds.
            while not stop.is_set():
                time.sleep(settle)
                later = _snapshot(seeds_dir)
                if later == now:
                    break
                now = later
            seen = now
            try:
                rebuild()
            except (KabarError, OSError) as exc:  # e.g. disk full: try again later
                log.error("%s", exc)
            # Events caused by the rebuild's own reads are not changes.
            wake.clear()
    finally:
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)


def _snapshot(seeds_dir: Path) -> dict[str, tuple[int, int]] | None:
    try:
        return fingerprint(seeds_dir)
    except (KabarError, OSError):
        return None


def _start_observer(seeds_dir: Path, wake: threading.Event) -> Any:
    try:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer
    except ImportError:
        return None

    class _Wake(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type not in ("opened", "closed_no_write"):
                wake.set()

    observer = Observer()
    try:
        observer.schedule(_Wake(), str(seeds_dir), recursive=True)
        observer.start()
    except (OSError, RecursionError) as exc:
        # Out of inotify watches, or a folder too deep for watchdog's recursive walk (the
        # seeds walk itself is iterative): polling still works.
        with contextlib.suppress(Exception):
            observer.stop()
        log.warning("watching %s by polling only (%s)", seeds_dir, exc)
        return None
    return observer
