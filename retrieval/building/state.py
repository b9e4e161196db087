"""The building machine's own state, whatever store holds the versions: the build lock and
the seeds' file list of the last build, both in ``KABAR_INDEX_DIR``.

They belong to the build, not to the store: a Milvus store keeps its versions on a server,
but the lock that lets one build run at a time and the file list that makes a no-op build
cheap stay on the machine that builds. Layout::

    index/
      .lock              held by the one build that may run at a time
      seeds-state.json   the seeds' file list (size, mtime) and vector index at the last build
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from retrieval.errors import ConfigError, IndexWriteError
from retrieval.safe_io import read_regular, write_atomic
from retrieval.store.disk import MAX_META_BYTES, write_error

__all__ = ["BUILD_WAIT_SECONDS", "BuildState"]

log = logging.getLogger(__name__)

#: How long a second build waits for the first before giving up (a full build of a large
#: corpus with the model on a CPU takes minutes).
BUILD_WAIT_SECONDS = 30 * 60
_POLL_SECONDS = 0.25
_SEEDS_STATE = "seeds-state.json"


class BuildState:
    """The build lock and seeds state in ``index_dir``.

    Args:
        index_dir: The index folder on the building machine (created when missing).
    """

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir

    @contextlib.contextmanager
    def lock(self, timeout: float = BUILD_WAIT_SECONDS) -> Iterator[bool]:
        """Hold the folder's ``.lock``, waiting for another build at most ``timeout``
        seconds and saying so once.

        Yields:
            Whether it had to wait for another build.

        Raises:
            ConfigError: ``index_dir`` is a file.
            IndexWriteError: The folder cannot be written, or the other build outlasted
                ``timeout`` (the published version is kept).
        """
        if self.index_dir.exists() and not self.index_dir.is_dir():
            raise ConfigError(f"the index path {self.index_dir} is a file, not a folder — "
                              "point --index or KABAR_INDEX_DIR at a folder (it is created "
                              "when missing)")
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            fd = _open_lock(self.index_dir / ".lock")
        except OSError as exc:
            raise write_error(exc, self.index_dir) from None
        try:
            waited = _acquire(fd, self.index_dir, timeout)
            try:
                yield waited
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def read_seeds(self) -> dict[str, Any] | None:
        """The seeds' file list recorded at the last build, or ``None`` (also when
        damaged: the next build reads the articles and writes it again)."""
        try:
            state = json.loads(read_regular(self.index_dir / _SEEDS_STATE, MAX_META_BYTES))
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) else None

    def write_seeds(self, state: dict[str, Any]) -> None:
        """Record the seeds' file list, atomically.

        Raises:
            IndexWriteError: It could not be written.
        """
        try:
            write_atomic(self.index_dir / _SEEDS_STATE, json.dumps(state).encode("utf-8"))
        except OSError as exc:
            raise write_error(exc, self.index_dir) from None


def _open_lock(path: Path) -> int:
    """The lock file, a regular file: a link, FIFO or device put in its place is damage,
    removed (opening a device or writing through a link could touch another file)."""
    with contextlib.suppress(FileNotFoundError):
        if not stat.S_ISREG(path.lstat().st_mode):
            path.unlink()
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                 0o644)
    if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped in between: refuse, don't guess
        os.close(fd)
        raise OSError(errno.EEXIST, "the lock is not a regular file", str(path))
    return fd


def _acquire(fd: int, index_dir: Path, timeout: float) -> bool:
    """Take the lock on ``fd``; whether another build had it first."""
    deadline = time.monotonic() + timeout
    waited = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return waited
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise IndexWriteError(
                    f"another build in {index_dir}/ has been running for over "
                    f"{timeout / 60:.0f} min — wait for it to finish, or stop that "
                    "`kabar index`; the published version is kept") from None
            if not waited:
                log.warning("waiting for another build in %s/ to finish (up to %.0f min)...",
                            index_dir, timeout / 60)
                waited = True
            time.sleep(_POLL_SECONDS)
