"""What every index store keeps on the building machine: the build's lock and seeds state.

Both stores (:class:`~retrieval.store.stores.LocalStore`,
:class:`~retrieval.store.milvus_store.MilvusStore`) inherit it, so the files live in
``KABAR_INDEX_DIR`` (:mod:`retrieval.store.versions`) whichever store holds the versions.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from retrieval.errors import ConfigError, IndexWriteError
from retrieval.store import versions
from retrieval.store.disk import write_error

__all__ = ["BUILD_WAIT_SECONDS", "LocalBuildState", "waiting_build_lock"]

log = logging.getLogger(__name__)

#: How long a second build waits for the first before giving up (a full build of a large
#: corpus with the model on a CPU takes minutes).
BUILD_WAIT_SECONDS = 30 * 60
_POLL_SECONDS = 0.25


class LocalBuildState:
    """The build's lock and seeds state, kept in ``index_dir`` on this machine whatever the
    store: every store shares this part (a Milvus store keeps only them locally)."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir

    def build_lock(self) -> contextlib.AbstractContextManager[None]:
        """The folder's ``.lock`` (one build at a time on this machine)."""
        return versions.build_lock(self.index_dir)

    def read_seeds_state(self) -> dict[str, Any] | None:
        """``seeds-state.json``: the seeds' file list of this machine's last build."""
        return versions.read_seeds_state(self.index_dir)

    def write_seeds_state(self, state: dict[str, Any]) -> None:
        """``seeds-state.json``, atomically."""
        versions.write_seeds_state(self.index_dir, state)


@contextlib.contextmanager
def waiting_build_lock(index_dir: Path, timeout: float = BUILD_WAIT_SECONDS
                       ) -> Iterator[bool]:
    """Hold the folder's build lock (the ``.lock`` :func:`versions.build_lock` takes), waiting
    for another build at most ``timeout`` seconds and saying so once.

    Yields:
        Whether it had to wait for another build.

    Raises:
        ConfigError: ``index_dir`` is a file.
        IndexWriteError: The folder cannot be written, or the other build outlasted
            ``timeout`` (the published version is kept).
    """
    if index_dir.exists() and not index_dir.is_dir():
        raise ConfigError(f"the index path {index_dir} is a file, not a folder — point --index "
                          "or KABAR_INDEX_DIR at a folder (it is created when missing)")
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(index_dir / ".lock",
                     os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise write_error(exc, index_dir) from None
    try:
        waited = _acquire(fd, index_dir, timeout)
        try:
            yield waited
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


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
