"""Safe file operations for the index folder: synced writes, atomic replacement, and reads
checked against a manifest."""

from __future__ import annotations

import errno
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from retrieval.errors import CorruptIndexError, IndexWriteError
from retrieval.store.manifest import FileSum

__all__ = ["fsync_dir", "read_bytes", "read_verified", "replace_file", "write_error",
           "write_synced"]

REBUILD = "run `kabar index` to rebuild it"


def write_synced(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file and flush it to the disk."""
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (new and renamed files) to the disk."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def replace_file(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically: readers see the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write_synced(tmp, data)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def read_bytes(path: Path) -> bytes:
    """A file of the index, or :class:`CorruptIndexError` saying how to repair."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise CorruptIndexError(f"{path} is missing — {REBUILD}") from None
    except OSError as exc:
        raise CorruptIndexError(f"{path} cannot be read ({exc.strerror or exc}) — {REBUILD}") \
            from None


def read_verified(folder: Path, sums: Mapping[str, FileSum]) -> dict[str, bytes]:
    """Every listed file of a version, read once and checked against its size and checksum.

    Raises:
        CorruptIndexError: A file is missing, truncated or altered.
    """
    blobs: dict[str, bytes] = {}
    for name, expected in sums.items():
        path = folder / name
        data = read_bytes(path)
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
