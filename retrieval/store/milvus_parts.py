"""A version's files in Milvus as content-addressed parts, shared between versions.

Each file of a version (the same bytes the folder store writes) is cut into parts at
content-defined boundaries: parts of 8 to 48 kB, ~20 kB on average, each cut chosen by the
bytes after it (a ``.npy`` array's rows: some row starts; text: some line starts; data with
few newlines: a rolling hash over 32 bytes). An edit in the middle of a file changes the
parts around it only: the cuts after it fall on the same bytes again, so the parts there
are the same. A part's key is the SHA-256 of its bytes: a publish writes the parts no
earlier version wrote, and a version lists its parts in order (``parts.json``).

The parts of a generation live in one collection (``<alias>_parts_<generation>``); each part
records the version that first wrote it (``born``), so a build that was killed leaves parts
the next build finds and deletes (their ``born`` is newer than anything published).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from retrieval.store.manifest import FileSum

__all__ = ["MAX_PART", "create_collection", "delete", "delete_born_after", "matches",
           "read_file", "split", "unchecked_strings", "write_parts"]

MAX_PART = 48_000  # bytes: base64 makes 64,000 ASCII characters, under Milvus' 65,535
_MIN_PART = 8_000
#: Odd 64-bit multipliers that mix 4 words of 8 bytes into one hash.
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                 0xD6E8FEB86659FD93], np.uint64)
_AVERAGE = 16_384  # bytes: a part's average size
_MASK = _AVERAGE - 1  # cut where the rolling hash's low 14 bits are 0: every ~16 kB
_WINDOW = 32
_BLOCK = 1 << 22  # bytes hashed at a time (bounds the memory of the rolling sums)
#: Random 32-bit values per byte value (fixed: the same bytes must cut the same way always).
_GEAR = np.random.default_rng(20261208).integers(0, 1 << 32, 256, dtype=np.uint32)
_BATCH = 200  # parts per insert or get: 12.8 MB, under gRPC's 64 MB message limit


def split(data: bytes) -> list[tuple[int, int]]:
    """Where ``data`` is cut: ``(start, end)`` of each part, in order (one empty part for an
    empty file)."""
    if len(data) <= _MIN_PART:
        return [(0, len(data))]
    cuts = _cuts(data)
    out, start = [], 0
    while len(data) - start > MAX_PART:
        at = int(np.searchsorted(cuts, start + _MIN_PART, side="left"))
        end = int(cuts[at]) if at < len(cuts) and cuts[at] <= start + MAX_PART \
            else start + MAX_PART
        out.append((start, end))
        start = end
    out.append((start, len(data)))
    return out


def _cuts(data: bytes) -> np.ndarray:
    """Offsets where a part may end, each chosen by the bytes that follow it: the starts of
    some rows of a ``.npy`` array, else of some lines (any byte after a newline), else the
    rolling hash of :func:`_candidates` (data with few newlines). Choosing among row or line
    starts looks at 8 bytes per row or line instead of hashing every byte."""
    raw = np.frombuffer(data, np.uint8)
    rows = _npy_rows(data)
    if rows is not None:
        offset, size = rows
        starts = offset + size * np.arange((len(data) - offset) // size, dtype=np.int64)
    else:
        starts = np.flatnonzero(raw == 10) + 1
        if len(starts) * 4096 < len(data):
            return _candidates(data)
    if not len(starts):
        return starts
    every = max(1, round(_AVERAGE * len(starts) / len(data)))
    # The 32 bytes after each start, mixed (a JSON line's first 8 bytes are always alike).
    padded = np.concatenate((raw, np.zeros(32, np.uint8)))
    words = padded[starts[:, None] + np.arange(32)].copy().view(np.uint64)
    mixed = (words * _MIX).sum(axis=1, dtype=np.uint64) >> np.uint64(32)
    return starts[mixed % np.uint64(every) == 0]


def _npy_rows(data: bytes) -> tuple[int, int] | None:
    """Where the rows of a ``.npy`` file begin and how many bytes each has, or ``None``
    for anything else."""
    if not data.startswith(b"\x93NUMPY"):
        return None
    try:
        buffer = io.BytesIO(data)
        major, _ = np.lib.format.read_magic(buffer)
        read = np.lib.format.read_array_header_1_0 if major == 1 else \
            np.lib.format.read_array_header_2_0
        shape, _, dtype = read(buffer)
    except (ValueError, OSError):
        return None
    size = int(dtype.itemsize * int(np.prod(shape[1:], dtype=np.int64)))
    return (buffer.tell(), size) if len(shape) >= 1 and size > 0 else None


def _candidates(data: bytes) -> np.ndarray:
    """Every offset where a part may end: the sum of the gear values of the 32 bytes before
    it has its low bits zero (sums wrap at 32 bits, which keeps the low bits exact)."""
    raw = np.frombuffer(data, np.uint8)
    found = []
    for lo in range(0, len(raw), _BLOCK):
        first = max(0, lo - _WINDOW)
        sums = np.zeros(min(lo + _BLOCK, len(raw)) - first + 1, np.uint32)
        np.cumsum(_GEAR[raw[first:lo + _BLOCK]], dtype=np.uint32, out=sums[1:])
        window = sums[_WINDOW:] - sums[:-_WINDOW]  # [k]: the 32 bytes before first + k + 32
        ends = np.flatnonzero((window & _MASK) == 0) + first + _WINDOW
        found.append(ends[ends >= lo] if lo else ends)
    return np.concatenate(found) if found else np.zeros(0, np.int64)


@contextlib.contextmanager
def unchecked_strings() -> Iterator[None]:
    """pymilvus checks each string of a row it inserts character by character (1 s per MB
    here); Kabar's own parts are ASCII and at most 64,000 characters, so the check is
    skipped while they are inserted."""
    from pymilvus.client import entity_helper

    before = entity_helper.CHECK_STR_ARRAY
    entity_helper.CHECK_STR_ARRAY = False
    try:
        yield
    finally:
        entity_helper.CHECK_STR_ARRAY = before


def create_collection(client: Any, name: str) -> None:
    """An empty parts collection (Milvus needs a vector field in every collection: a dummy
    one)."""
    from pymilvus import DataType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False,
                                        description="kabar version parts")
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=64)
    schema.add_field("born", DataType.INT64)
    schema.add_field("data", DataType.VARCHAR, max_length=65_535)
    schema.add_field("dummy", DataType.FLOAT_VECTOR, dim=2)
    params = client.prepare_index_params()
    params.add_index("dummy", index_type="FLAT", metric_type="L2")
    client.create_collection(name, schema=schema, index_params=params)


def write_parts(client: Any, name: str, blobs: Mapping[str, bytes], known: set[str],
                born: int) -> tuple[dict[str, list[str]], int, int]:
    """Write the parts of ``blobs`` that neither ``known`` (the previous version's) nor the
    collection already holds.

    Returns:
        Each file's part keys in order, and how many parts and bytes were written.
    """
    listing: dict[str, list[str]] = {}
    fresh: dict[str, bytes] = {}
    for file, data in blobs.items():
        keys = []
        for lo, hi in split(data):
            part = data[lo:hi]
            key = hashlib.sha256(part).hexdigest()
            keys.append(key)
            if key not in known:
                fresh[key] = part
        listing[file] = keys
    # A part an unpublished build wrote was deleted before this build began; one an older
    # version wrote may still be there.
    held = {r["key"] for keys in _batches(list(fresh)) for r in client.get(
        name, ids=keys, output_fields=["key"])}
    new = [k for k in fresh if k not in held]
    for lo in range(0, len(new), _BATCH):
        with unchecked_strings():
            client.insert(name, [{"key": k, "born": born, "dummy": [0.0, 0.0],
                                  "data": base64.b64encode(fresh[k]).decode("ascii")}
                                 for k in new[lo:lo + _BATCH]])
    if new:
        client.flush(name)
    return listing, len(new), sum(len(fresh[k]) for k in new)


def read_file(client: Any, name: str, keys: Sequence[str]) -> bytes | None:
    """A file from its parts' keys, each part checked against its key; ``None`` when a part
    is missing or altered."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, bytes] = {}
    for batch in _batches(wanted):
        for row in client.get(name, ids=batch, output_fields=["data"]):
            part = base64.b64decode(row["data"])
            if hashlib.sha256(part).hexdigest() == row["key"]:
                found[str(row["key"])] = part
    if len(found) != len(wanted):
        return None
    return b"".join(found[k] for k in keys)


def matches(data: bytes, expected: FileSum) -> bool:
    """Whether a file has the size and checksum its manifest records."""
    return len(data) == expected.size and hashlib.sha256(data).hexdigest() == expected.sha256


def delete(client: Any, name: str, keys: Iterable[str]) -> None:
    """Delete parts by key."""
    for batch in _batches(list(keys)):
        client.delete(name, ids=batch)


def delete_born_after(client: Any, name: str, seq: int) -> None:
    """Delete the parts a build that never published wrote (``born`` after ``seq``)."""
    rows = client.query(name, filter=f"born > {seq}", output_fields=["key"], limit=16_384)
    delete(client, name, [r["key"] for r in rows])


def _batches(keys: list[str]) -> Iterable[list[str]]:
    for lo in range(0, len(keys), _BATCH):
        yield keys[lo:lo + _BATCH]
