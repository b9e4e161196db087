"""Reading and writing files Kabar keeps (index versions, the ONNX export, caches) without
trusting what is on the disk.

A file read here is opened as a *regular file only*: ``O_NOFOLLOW`` (a symbolic link, say to
``/dev/zero`` or to a file elsewhere, is refused), ``O_NONBLOCK`` (opening a FIFO cannot wait
for a writer that never comes) and an ``fstat`` of the opened descriptor (a FIFO, device or
socket is refused), then read up to a bound, never to the end of whatever it is. Anything
else is :class:`UnsafeFileError`, an ``OSError``, so callers that already treat an
unreadable file as damage do so for these too.

A file written here goes to a temporary file created exclusively (``O_CREAT | O_EXCL |
O_NOFOLLOW``, random name) in the target's own folder, then renamed over the target: a link
planted at a predictable name is never written through, and readers see the old or the new
content, never a mix.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat
from pathlib import Path

__all__ = ["UnsafeFileError", "create_exclusive", "fsync_dir", "make_folder_exclusive",
           "open_regular", "read_regular", "sha256_of", "write_atomic"]

_READ_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_WRITE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISDIR, "a folder"))


class UnsafeFileError(OSError):
    """A file that is not a plain regular file, or is larger than it may be."""


def open_regular(path: Path, limit: int) -> int:
    """A read-only descriptor of ``path``, which must be a regular file of at most
    ``limit`` bytes (the caller closes it).

    Raises:
        FileNotFoundError: It does not exist.
        UnsafeFileError: It is a link, FIFO, device, socket or folder, or is larger.
        OSError: It cannot be opened.
    """
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # O_NOFOLLOW's answer for a link
            raise UnsafeFileError(errno.ELOOP, "a symbolic link, not a regular file",
                                  str(path)) from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = next((name for test, name in _KINDS if test(info.st_mode)),
                        "not a regular file")
            raise UnsafeFileError(errno.EINVAL, f"{kind}, not a regular file", str(path))
        if info.st_size > limit:
            raise UnsafeFileError(errno.EFBIG, f"larger than {limit} bytes", str(path))
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: Path, limit: int) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes.

    Raises:
        FileNotFoundError: It does not exist.
        UnsafeFileError: It is a link, FIFO, device, socket or folder, or holds more than
            ``limit`` bytes, or grew while it was read (at most ``limit + 1`` bytes are
            ever read).
        OSError: It cannot be read.
    """
    fd = open_regular(path, limit)
    with open(fd, "rb", closefd=True) as f:
        size = os.fstat(fd).st_size
        # One byte more than it said it holds: a file that grows while it is read is
        # caught, and one that lies about its size cannot make this read past the limit.
        data = f.read(size + 1)
    if len(data) > size:
        raise UnsafeFileError(errno.EAGAIN, "changed while it was read", str(path))
    return data


def sha256_of(fd: int, limit: int) -> tuple[str, int]:
    """SHA-256 (hex) and length of an open file's bytes, read a block at a time (cache
    friendly, no copy of the whole file) and never past ``limit + 1`` bytes."""
    block = bytearray(1 << 20)
    view = memoryview(block)
    digest = hashlib.sha256()
    offset = 0
    while offset <= limit:
        n = os.preadv(fd, [view[:min(len(block), limit + 1 - offset)]], offset)
        if not n:
            break
        digest.update(view[:n])
        offset += n
    return digest.hexdigest(), offset


def create_exclusive(folder: Path, prefix: str, suffix: str = ".tmp",
                     mode: int = 0o644) -> tuple[int, Path]:
    """A new, empty file in ``folder`` with an unpredictable name, opened for writing.

    Nothing that already exists there (a planted link included) is opened: the name is
    random and the file is created with ``O_EXCL | O_NOFOLLOW``.
    """
    for _ in range(100):
        path = folder / f"{prefix}{secrets.token_hex(8)}{suffix}"
        try:
            return os.open(path, _WRITE_FLAGS, mode), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(folder))


def make_folder_exclusive(parent: Path, prefix: str) -> Path:
    """A new, empty folder in ``parent`` with an unpredictable name (``mkdir`` never reuses
    what exists, a link included); permissions as any new folder (the umask applies)."""
    for _ in range(100):
        path = parent / f"{prefix}{secrets.token_hex(8)}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name", str(parent))


def write_atomic(path: Path, data: bytes, sync: bool = True) -> None:
    """Replace ``path`` with ``data`` atomically, through a temporary file made exclusively.

    ``sync`` flushes the file and the folder to the disk (index files must survive a power
    cut; cache files need not).

    Raises:
        OSError: The folder cannot be written; the temporary file is removed.
    """
    fd, tmp = create_exclusive(path.parent, f".{path.name}.")
    try:
        with open(fd, "wb", closefd=True) as f:
            f.write(data)
            f.flush()
            if sync:
                os.fsync(f.fileno())
        os.replace(tmp, path)  # replaces a link at ``path`` itself, never its target
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if sync:
        fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (new and renamed files) to the disk."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
