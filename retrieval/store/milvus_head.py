"""A version's own collection in Milvus: its manifest and the list of its parts.

The alias replicas read names this collection (``<alias>_v…_abc123``), so one atomic alias
switch publishes a version. It is small whatever the archive's size: the manifest, and
``parts.json``, which names the version's generation (the collections of chunk rows and of
file parts it shares with the versions before it) and each file's parts in order. Both are
stored base64 in rows of at most 48 kB (Milvus needs a vector field in every collection:
these rows hold a dummy one).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from retrieval.store.manifest import Manifest
from retrieval.store.milvus_parts import MAX_PART, unchecked_strings

__all__ = ["PARTS", "Head", "Prior", "PublishStats", "create", "parts_json", "read_file",
           "rows_of"]

PARTS = "parts.json"


@dataclass(frozen=True)
class Head:
    """What a version's collection says about it.

    Attributes:
        manifest: The version's manifest.
        generation: The suffix of its chunk rows' and file parts' collections.
        fingerprint: What its rows depend on (:func:`~retrieval.store.milvus_rows.fingerprint`).
        files: Each file's part keys, in order.
    """

    manifest: Manifest
    generation: str
    fingerprint: str
    files: Mapping[str, list[str]]

    @classmethod
    def parse(cls, manifest: Manifest, parts: bytes) -> Head:
        """From the manifest and ``parts.json``.

        Raises:
            ValueError: ``parts.json`` is not one.
        """
        raw = json.loads(parts)
        files = {str(f): [str(k) for k in keys] for f, keys in raw["files"].items()}
        return cls(manifest, str(raw["generation"]), str(raw["fingerprint"]), files)


def parts_json(generation: str, fingerprint: str, files: Mapping[str, list[str]]) -> bytes:
    """``parts.json``: the generation, the fingerprint, each file's part keys."""
    return json.dumps({"generation": generation, "fingerprint": fingerprint,
                       "files": dict(files)}).encode("utf-8")


def create(client: Any, name: str, blobs: Mapping[str, bytes]) -> None:
    """A version's collection holding ``blobs`` (manifest and ``parts.json``), flushed."""
    from pymilvus import DataType, MilvusClient

    schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False,
                                        description="kabar version")
    schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=128)
    schema.add_field("file", DataType.VARCHAR, max_length=128)
    schema.add_field("part", DataType.INT64)
    schema.add_field("data", DataType.VARCHAR, max_length=65_535)
    schema.add_field("dummy", DataType.FLOAT_VECTOR, dim=2)
    params = client.prepare_index_params()
    params.add_index("dummy", index_type="FLAT", metric_type="L2")
    client.create_collection(name, schema=schema, index_params=params)
    rows = [{"key": f"{file}#{lo // MAX_PART}", "file": file, "part": lo // MAX_PART,
             "data": base64.b64encode(data[lo:lo + MAX_PART]).decode("ascii"),
             "dummy": [0.0, 0.0]}
            for file, data in blobs.items() for lo in range(0, max(len(data), 1), MAX_PART)]
    for lo in range(0, len(rows), 200):
        with unchecked_strings():
            client.insert(name, rows[lo:lo + 200])
    client.flush(name)


def read_file(client: Any, name: str, file: str) -> bytes | None:
    """A file of a version's collection; ``None`` when it is not there whole."""
    client.load_collection(name)
    rows = client.query(name, filter=f'file == "{file}"', output_fields=["part", "data"],
                        limit=10_000)
    rows.sort(key=lambda r: int(r["part"]))
    if [int(r["part"]) for r in rows] != list(range(len(rows))) or not rows:
        return None
    return b"".join(base64.b64decode(r["data"]) for r in rows)


def rows_of(generation: str, alias: str) -> tuple[str, str]:
    """The collections of a generation: chunk rows, file parts."""
    return f"{alias}_rows_{generation}", f"{alias}_parts_{generation}"


@dataclass(frozen=True)
class PublishStats:
    """What the last publish wrote (for benchmarks and tests).

    Attributes:
        rows_written: Chunk rows inserted.
        rows_removed: Chunk rows marked removed.
        parts_written: File parts inserted.
        part_bytes: Their size.
        new_generation: Whether everything was written anew.
    """

    rows_written: int
    rows_removed: int
    parts_written: int
    part_bytes: int
    new_generation: bool


@dataclass(frozen=True)
class Prior:
    """The published version whose rows and parts a build reuses: its head, its
    ``chunk_rows.npy`` table, its sequence number."""

    head: Head
    table: np.ndarray
    seq: int

    def parts(self) -> set[str]:
        """The keys of every part the version names."""
        return {k for keys in self.head.files.values() for k in keys}
