"""Walking a seeds folder without ever following a link, and opening files the same way.

A path string is looked up again at every use, so a sub-folder swapped for a link between
listing and opening would lead outside the folder. Here every folder is opened relative to
its parent's open descriptor with ``O_NOFOLLOW | O_DIRECTORY``, listed from its own
descriptor, and files are opened relative to a folder descriptor with ``O_NOFOLLOW``: a
component that became a link since it was listed fails to open (``ENOTDIR``/``ELOOP``)
instead of being followed. Only the seeds folder itself is opened by path (it is the
user's choice and may be a link).

The walk is iterative (an explicit stack of open folders), so a folder thousands of levels
deep cannot exhaust the interpreter's stack; folders below :data:`MAX_DEPTH` are not read
and each is reported once, as :class:`Unread`.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MAX_DEPTH", "Folder", "Unread", "open_under", "walk"]

#: Folders nested deeper than this under the seeds folder are not read (news archives are a
#: few levels deep; the bound also bounds the descriptors open at once).
MAX_DEPTH = 32

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW | _CLOEXEC
#: O_NONBLOCK: opening a FIFO swapped in after listing must not wait for a writer.
FILE_FLAGS = os.O_RDONLY | os.O_NONBLOCK | _NOFOLLOW | _CLOEXEC
#: What opening a component that is (now) a link or a file fails with under these flags.
_NOT_A_FOLDER = frozenset({errno.ENOTDIR, errno.ELOOP})


@dataclass(frozen=True)
class Folder:
    """One folder of the walk.

    Attributes:
        rel: Its path under the seeds folder with POSIX separators (``""`` for the folder
            itself).
        fd: Its open descriptor, valid only until the walk is resumed.
        items: Its entries, sorted by name, names starting with ``"."`` left out.
    """

    rel: str
    fd: int
    items: tuple[os.DirEntry[str], ...]


@dataclass(frozen=True)
class Unread:
    """A folder that was not read, and why (one line)."""

    rel: str
    reason: str


def _open_child(parent_fd: int, name: str) -> int:
    """Open the sub-folder ``name`` of an open folder, refusing links."""
    return os.open(name, _DIR_FLAGS, dir_fd=parent_fd)


def _why_not(error: OSError) -> str:
    if error.errno in _NOT_A_FOLDER:
        return "no longer a folder (it became a link or a file while listed; not followed)"
    return f"folder not readable ({error.strerror or error})"


def _listed(fd: int) -> tuple[os.DirEntry[str], ...]:
    with os.scandir(fd) as found:
        return tuple(sorted((item for item in found if not item.name.startswith(".")),
                            key=lambda item: item.name))


def _is_folder(item: os.DirEntry[str]) -> bool:
    try:
        return item.is_dir(follow_symlinks=False)
    except OSError:
        return False


def walk(root: Path, max_depth: int = MAX_DEPTH) -> Iterator[Folder | Unread]:
    """The folders under ``root`` (itself first), depth first in name order.

    Folders whose name starts with ``"."`` are skipped silently; folders that cannot be
    opened or listed, or lie more than ``max_depth`` levels down, are yielded as
    :class:`Unread` and not entered.
    """
    try:
        root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    except OSError as exc:
        yield Unread(".", _why_not(exc))
        return
    # Each level holds its descriptor, its rel prefix and the sub-folders still to enter.
    stack: list[tuple[int, str, Iterator[str]]] = []
    try:
        child: tuple[int, str] | None = (root_fd, "")
        while True:
            if child is not None:
                fd, rel = child
                try:
                    items = _listed(fd)
                except OSError as exc:
                    os.close(fd)
                    yield Unread(rel or ".", _why_not(exc))
                else:
                    stack.append((fd, rel, iter([i.name for i in items if _is_folder(i)])))
                    yield Folder(rel, fd, items)
            if not stack:
                return
            fd, rel, pending = stack[-1]
            name = next(pending, None)
            child = None
            if name is None:
                os.close(fd)
                stack.pop()
                continue
            path = f"{rel}/{name}" if rel else name
            if len(stack) > max_depth:
                yield Unread(path, f"more than {max_depth} folders deep; not read")
                continue
            try:
                child = (_open_child(fd, name), path)
            except OSError as exc:
                yield Unread(path, _why_not(exc))
    finally:
        for fd, _, _ in stack:
            os.close(fd)


def open_under(root: Path, rel: str) -> int:
    """Open the file at ``rel`` under ``root`` for reading, following no link on the way.

    Every folder on the way is opened relative to the one before with ``O_NOFOLLOW``, and the
    file too, so whatever was swapped since the scan, what is opened lies inside ``root``.

    Raises:
        OSError: A component is missing, is (now) a link, or cannot be opened.
    """
    *folders, name = rel.split("/")
    if not name or any(part in ("", ".", "..") for part in folders) or name in (".", ".."):
        raise OSError(errno.EINVAL, f"not a path inside the seeds folder: {rel}")
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    try:
        for part in folders:
            inner = _open_child(fd, part)
            os.close(fd)
            fd = inner
        return os.open(name, FILE_FLAGS, dir_fd=fd)
    finally:
        os.close(fd)
