"""Milvus Lite's files on this machine: who holds a ``.db``, and its alias file.

A Milvus Lite ``.db`` is a folder one process at a time opens (an advisory ``flock`` on its
``LOCK`` file). The aliases of its default database, Kabar's published version among them,
are ``aliases.json`` in that folder, which Milvus Lite reads whole on the first alias call and
cannot get past when it is damaged (every alias call fails, ``--full`` included). Kabar
checks these files itself, and replaces a damaged alias file only while this process holds
the ``.db`` (no other process can write it then).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import stat
import tempfile
import uuid
from pathlib import Path

from retrieval.errors import CorruptIndexError, IndexWriteError
from retrieval.store.disk import REBUILD

__all__ = ["ALIASES", "alias_problem", "check_aliases", "collection_names", "held_elsewhere",
           "repair_aliases"]

log = logging.getLogger(__name__)

ALIASES = "aliases.json"
_LOCK = "LOCK"
#: An alias file holds a few names; anything bigger is not one (and is not read whole).
_MAX_ALIASES_BYTES = 1 << 20


def held_elsewhere(db: Path) -> bool:
    """Whether another process has the Milvus Lite ``.db`` open (holds its ``LOCK``).

    Only meaningful when this process has not opened it: a lock taken here, on another open
    file, conflicts too.
    """
    try:
        fd = os.open(db / _LOCK, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False  # no LOCK yet: nobody ever opened it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def alias_problem(db: Path, parse: bool = True) -> str | None:
    """What is wrong with the ``.db``'s alias file, or ``None`` (also when there is none).

    Args:
        db: The ``.db`` folder.
        parse: Also read and parse it; ``False`` checks only what could hang or exhaust
            Milvus Lite when it opens the file (a FIFO, a device, a huge file): cheap enough
            to run before every alias call.
    """
    path = db / ALIASES
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if info.st_size > _MAX_ALIASES_BYTES:
        return f"is {info.st_size:,} bytes, not a list of aliases"
    if not parse:
        return None
    try:
        json.loads(path.read_bytes())
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    except (ValueError, UnicodeDecodeError) as exc:
        return f"is not JSON ({str(exc)[:80]})"
    return None  # any JSON: Milvus Lite reads what is not a map of names as no aliases


def check_aliases(db: Path, parse: bool = True) -> None:
    """Raise when the ``.db``'s alias file is damaged (see :func:`alias_problem`).

    Raises:
        CorruptIndexError: It is; the message names the file and the fix.
    """
    problem = alias_problem(db, parse)
    if problem:
        raise CorruptIndexError(f"Milvus Lite's alias file {db / ALIASES} {problem} — "
                                f"{REBUILD} (a build replaces the file)")


def repair_aliases(db: Path) -> None:
    """Replace a damaged alias file by an empty one, keeping the damaged one beside it, and
    say so in one line.

    Only for the process that holds the ``.db``. The aliases it named are lost: the build
    that calls this publishes its version under a new alias.

    Raises:
        IndexWriteError: The folder cannot be written.
    """
    problem = alias_problem(db)
    if problem is None:
        return
    try:
        _replace_aliases(db)
    except OSError as exc:
        raise IndexWriteError(f"cannot replace the damaged {db / ALIASES} "
                              f"({exc.strerror or exc}) — make that folder writable; the "
                              "published version is kept") from None
    log.warning("Milvus Lite's alias file %s %s: replaced (the damaged one is kept beside "
                "it); this build publishes under a new alias", db / ALIASES, problem)


def _replace_aliases(db: Path) -> None:
    path = db / ALIASES
    # A rename: a FIFO or device there is never opened, a folder moves as well as a file.
    os.replace(path, db / f"{ALIASES}.damaged-{uuid.uuid4().hex[:8]}")
    fd, tmp = tempfile.mkstemp(prefix=f".{ALIASES}.", suffix=".tmp", dir=db)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(b"{}")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def collection_names(db: Path) -> list[str]:
    """The collections of the ``.db``'s default database, from its folder: Milvus Lite
    cannot list them while one of them is damaged (it opens each)."""
    try:
        return sorted(entry.name for entry in os.scandir(db / "collections")
                      if entry.is_dir(follow_symlinks=False))
    except OSError:
        return []
