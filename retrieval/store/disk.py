"""Safe file operations for the index folder: synced writes, atomic replacement, and reads
checked against a manifest.

Every read opens a regular file only and reads at most what the manifest (or a fixed bound)
allows (:mod:`retrieval.safe_io`): a FIFO, device or link put in a version folder is damage,
reported at once, never waited on or read without end.
"""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from retrieval.errors import CorruptIndexError, IndexWriteError
from retrieval.safe_io import UnsafeFileError, fsync_dir, read_regular, write_atomic
from retrieval.store.manifest import FileSum

__all__ = ["MAX_META_BYTES", "fsync_dir", "read_bytes", "read_verified", "replace_file",
           "write_error", "write_synced"]

REBUILD = "run `kabar index` to rebuild it"
#: The most a file of the index whose size no manifest records (``manifest.json``,
#: ``seeds-state.json``) may hold: far above any real one, far below a machine's memory.
MAX_META_BYTES = 256 << 20


def write_synced(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file (never an existing one or a link) and flush it to the
    disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                 0o644)
    with open(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def replace_file(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically: readers see the old or the new content, never a mix."""
    write_atomic(path, data)


def read_bytes(path: Path, limit: int = MAX_META_BYTES) -> bytes:
    """A regular file of the index of at most ``limit`` bytes, or
    :class:`CorruptIndexError` saying how to repair."""
    try:
        return read_regular(path, limit)
    except FileNotFoundError:
        raise CorruptIndexError(f"{path} is missing — {REBUILD}") from None
    except UnsafeFileError as exc:
        raise CorruptIndexError(f"{path} is damaged ({exc.strerror}) — {REBUILD}") \
            from None
    except OSError as exc:
        raise CorruptIndexError(f"{path} cannot be read ({exc.strerror or exc}) — {REBUILD}") \
            from None


def read_verified(folder: Path, sums: Mapping[str, FileSum]) -> dict[str, bytes]:
    """Every listed file of a version, read once and checked against its size and checksum.

    No more than the recorded size (plus one byte) is ever read.

    Raises:
        CorruptIndexError: A file is missing, not a regular file, truncated or altered.
    """
    blobs: dict[str, bytes] = {}
    for name, expected in sums.items():
        path = folder / name
        data = read_bytes(path, max(expected.size, 0))
        if len(data) != expected.size:
            raise CorruptIndexError(
                f"{path} is truncated or altered ({len(data)} bytes, expected "
                f"{expected.size}) — {REBUILD}")
        if hashlib.sha256(data).hexdigest() != expected.sha256:
            raise CorruptIndexError(f"{path} is corrupt (checksum mismatch) — {REBUILD}")
        blobs[name] = data
    return blobs


def write_error(exc: OSError, index_dir: Path) -> IndexWriteError:
    """A one-line error for a failed write into ``index_dir`` that names the fix."""
    kept = "; the published index is unchanged"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        what = "the disk is full" if exc.errno == errno.ENOSPC else "the disk quota is exceeded"
        return IndexWriteError(
            f"could not write the index in {index_dir}/: {what} — free some space and run "
            f"`kabar index` again{kept}")
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return IndexWriteError(
            f"cannot write to the index folder {index_dir}/ ({exc.strerror}) — make it "
            f"writable, or point --index or KABAR_INDEX_DIR at a writable folder{kept}")
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return IndexWriteError(
            f"cannot create the index folder {index_dir}/ ({exc.strerror}: {exc.filename}) — "
            "point --index or KABAR_INDEX_DIR at a folder")
    return IndexWriteError(
        f"could not write the index in {index_dir}/ ({exc.strerror or exc}) — check the "
        f"folder and run `kabar index` again{kept}")
