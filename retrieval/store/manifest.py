"""The manifest of an index version: what it was built with and a checksum of every file.

Written as ``manifest.json`` inside the version folder; read back into a typed, validated
:class:`Manifest` (a malformed one is damage, reported as :class:`CorruptIndexError`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from retrieval.errors import CorruptIndexError

__all__ = ["FORMAT_VERSION", "FileSum", "Manifest"]

#: Bumped when the files of a version change in a way older code cannot read.
FORMAT_VERSION = 1
#: A file named in a manifest: a plain name inside the version folder.
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
# Older manifests named the FAISS class instead of the kind of vector index.
_OLD_FAISS_KINDS = {"IndexHNSWFlat": "hnsw"}


@dataclass(frozen=True)
class FileSum:
    """Size and SHA-256 of one file of a version."""

    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """What a version holds and how it was built.

    Attributes:
        model: The embedding model id; a change re-embeds everything.
        dim: The vector dimension.
        query_prompt: The prompt put before questions.
        passage_prompt: The prompt the passages were embedded with.
        chunker: The settings that decide what is embedded (a change re-embeds).
        analysis: The settings of what is rebuilt on every build (BM25, terms, vector index
            kind): a change republishes from the stored vectors.
        vector_backend: Which vector-index implementation holds the chunk vectors.
        vector_kind: ``"flat"`` or ``"hnsw"``.
        articles: Article id -> content hash.
        counts: ``articles``, ``chunks`` and ``sentences``.
        newest_date: The newest article date, ISO, or ``None``.
        version: The version's name (set when written).
        built_at: When it was written, ISO 8601 UTC (set when written).
        files: Name -> size and checksum of every other file (set when written).
        format_version: The file format.
    """

    model: str
    dim: int
    query_prompt: str = ""
    passage_prompt: str = ""
    chunker: Mapping[str, Any] = field(default_factory=dict)
    analysis: Mapping[str, Any] = field(default_factory=dict)
    vector_backend: str = "faiss"
    vector_kind: str = "flat"
    articles: Mapping[str, str] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)
    newest_date: str | None = None
    version: str = ""
    built_at: str = ""
    files: Mapping[str, FileSum] = field(default_factory=dict)
    format_version: int = FORMAT_VERSION

    def to_json(self) -> bytes:
        """``manifest.json``'s bytes."""
        return json.dumps(asdict(self), indent=1).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes, where: str) -> Manifest:
        """Parse and validate ``manifest.json``.

        Raises:
            CorruptIndexError: It is not a Kabar manifest; the message says how to repair.
        """
        fix = "run `kabar index` to rebuild it"
        try:
            raw = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CorruptIndexError(f"{where} is corrupt ({exc}) — {fix}") from None
        try:
            return cls._from_dict(raw)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise CorruptIndexError(f"{where} is not a Kabar manifest — {fix}") from None

    @classmethod
    def _from_dict(cls, raw: dict[str, Any]) -> Manifest:
        files = {str(name): FileSum(int(f["size"]), str(f["sha256"]))
                 for name, f in raw["files"].items()}
        if not files or not all(_FILE_NAME.fullmatch(name) for name in files):
            raise ValueError("bad file list")
        kind = raw.get("vector_kind") or _OLD_FAISS_KINDS.get(raw.get("faiss", ""), "flat")
        return cls(
            model=str(raw["model"]), dim=int(raw["dim"]),
            query_prompt=str(raw.get("query_prompt", "")),
            passage_prompt=str(raw.get("passage_prompt", "")),
            chunker=dict(raw.get("chunker", {})),
            analysis=dict(raw.get("analysis", {})),
            vector_backend=str(raw.get("vector_backend", "faiss")), vector_kind=str(kind),
            articles={str(k): str(v) for k, v in raw["articles"].items()},
            counts={str(k): int(v) for k, v in raw.get("counts", {}).items()},
            newest_date=raw.get("newest_date"), version=str(raw["version"]),
            built_at=str(raw.get("built_at", "")), files=files,
            format_version=int(raw["format_version"]),
        )
