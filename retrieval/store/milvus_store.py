"""Index versions in Milvus: one pair of collections per version, published by an alias.

A version ``v…-abc123`` is two collections named after ``KABAR_MILVUS_COLLECTION``
(``kabar`` below):

- ``kabar_v…_abc123``: one row per chunk: its id, dense vector and BM25 weights (sparse);
- ``kabar_v…_abc123_files``: every other part of the version (manifest, articles with their
  text and metadata, sentence and chunk offsets, sentence vectors, BM25 matrix), as the same
  bytes the local store writes to files, base64 in rows of at most 64 kB, with checksums in
  the manifest. Milvus needs a vector field in every collection: these rows hold a dummy one.

The alias ``kabar`` names the published chunk collection. A build fills a new pair, flushes
it, warms it up, and only then points the alias at it (one atomic call), so a crash at any
point leaves the previous version serving; older pairs are dropped afterwards, never one
that an alias names. Replicas need nothing else: they load a version from the collections.
The build's lock and the seeds' file list stay in ``KABAR_INDEX_DIR`` on the building machine.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.config import Settings
from retrieval.errors import CorruptIndexError, IndexWriteError, KabarError, NoIndexError
from retrieval.store import versions
from retrieval.store.bm25 import BM25Index
from retrieval.store.data import IndexData, Layout, StoredArticle
from retrieval.store.disk import REBUILD
from retrieval.store.local_state import LocalBuildState
from retrieval.store.manifest import FileSum, Manifest
from retrieval.store.milvus import MilvusVectorIndex, create_chunk_collection, use
from retrieval.store.vectors import VectorIndex

__all__ = ["MilvusStore"]

_PART = 48_000  # bytes per row: base64 makes 64,000 ASCII characters, under Milvus' 65,535
_FILES = "_files"


class MilvusStore(LocalBuildState):
    """Index versions in Milvus behind the alias ``alias``.

    Args:
        client: A connected ``MilvusClient``.
        uri: Its URI (for messages; never the token).
        alias: The alias replicas read (``KABAR_MILVUS_COLLECTION``).
        index_dir: The local folder of the build's lock and seeds state.
    """

    name = "milvus"

    def __init__(self, client: Any, uri: str, alias: str, index_dir: Path) -> None:
        self._client = client
        self._uri = uri
        self.alias = alias
        super().__init__(index_dir)

    @classmethod
    def open(cls, settings: Settings) -> MilvusStore:
        """Connect to the Milvus ``settings`` name.

        Raises:
            ConfigError: pymilvus is missing or Milvus cannot be reached.
        """
        client = use(settings.milvus_target, settings.milvus_token)
        return cls(client, settings.milvus_target, settings.milvus_collection, settings.index_dir)

    @property
    def where(self) -> str:
        """The URI (without any user:password part) and the alias."""
        return f"{re.sub(r'//[^@/]*@', '//', self._uri)} collection {self.alias}"

    def collection(self, version: str) -> str:
        """The chunk collection of ``version``."""
        return f"{self.alias}_{version.replace('-', '_')}"

    def current_version(self) -> str | None:
        """The version the alias names, or ``None``."""
        with _errors(self.where):
            if self.alias not in self._client.list_aliases().get("aliases", []):
                return None
            target = str(self._client.describe_alias(self.alias)["collection_name"])
        prefix = f"{self.alias}_"
        if not target.startswith(prefix):
            raise CorruptIndexError(f"the alias {self.alias} names {target}, not a Kabar "
                                    f"version — {REBUILD}")
        stem = target[len(prefix):]
        return stem[:-7] + "-" + stem[-6:] if len(stem) > 7 else stem

    def read_manifest(self, version: str | None = None) -> Manifest:
        """The manifest of ``version`` (default: the published one)."""
        version = version or self.current_version()
        if version is None:
            raise NoIndexError(f"no index in Milvus at {self.where} — run `kabar index`")
        return Manifest.from_json(self._read_file(version, "manifest.json"),
                                  f"{self.where}: {version} manifest")

    def check_compatible(self, manifest: Manifest, model_id: str | None) -> None:
        """Same format and model."""
        versions.check_compatible(manifest, model_id, Path(self.where))

    def verify(self, version: str, manifest: Manifest) -> None:
        """Every part's checksum."""
        self._read_verified(version, manifest)

    def load(self, model_id: str | None = None, version: str | None = None) -> IndexData:
        """Load a version: its parts into memory, its chunk vectors searched in Milvus."""
        version = version or self.current_version()
        manifest = self.read_manifest(version)
        assert version is not None  # read_manifest raised otherwise
        self.check_compatible(manifest, model_id)
        blobs = self._read_verified(version, manifest)
        name = self.collection(version)
        with _errors(self.where):
            self._client.load_collection(name)  # a reopened collection is not loaded
        index = MilvusVectorIndex(self._client, name, manifest.dim, manifest.vector_kind)
        return versions.from_blobs(version, manifest, blobs, lambda: index, self.where)

    def write_version(self, manifest: Manifest, articles: Sequence[StoredArticle],
                      layout: Layout, sentence_vectors: np.ndarray,
                      chunk_vectors: VectorIndex, bm25: BM25Index) -> str:
        """Fill a new pair of collections, then switch the alias to it."""
        blobs = versions.version_blobs(articles, layout, sentence_vectors, bm25)
        name, manifest = versions.stamp_manifest(manifest, blobs, chunk_vectors.kind)
        blobs["manifest.json"] = manifest.to_json()
        chunks = self.collection(name)
        try:
            with _errors(self.where, IndexWriteError):
                before = self.current_version()
                self._fill(chunks, chunk_vectors, bm25)
                self._write_files(chunks + _FILES, blobs)
                self._switch(chunks)
        except BaseException:
            self._drop_unpublished(chunks)
            raise
        # The version replicas may still be loading stays until the next publish.
        self._collect_garbage(keep={chunks} | ({self.collection(before)} if before else set()))
        return name

    def _fill(self, name: str, chunk_vectors: VectorIndex, bm25: BM25Index) -> None:
        n, dim = bm25.num_docs, chunk_vectors.dim
        create_chunk_collection(self._client, name, dim, chunk_vectors.kind)
        index = MilvusVectorIndex(self._client, name, dim, chunk_vectors.kind)
        ids = np.arange(n, dtype=np.int64)
        index.add(ids, chunk_vectors.vectors(ids), sparse_rows(bm25))
        # The first sparse search builds Milvus' posting lists (seconds at 20k chunks): done
        # here, before the alias switch, rather than by a replica's first question.
        if n:
            index.hybrid(index.vectors(ids[:1])[0], {0: 1.0}, 1, 1)

    def _write_files(self, name: str, blobs: Mapping[str, bytes]) -> None:
        from pymilvus import DataType, MilvusClient

        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False,
                                            description="kabar version files")
        schema.add_field("key", DataType.VARCHAR, is_primary=True, max_length=128)
        schema.add_field("file", DataType.VARCHAR, max_length=128)
        schema.add_field("part", DataType.INT64)
        schema.add_field("data", DataType.VARCHAR, max_length=65_535)
        schema.add_field("dummy", DataType.FLOAT_VECTOR, dim=2)
        params = self._client.prepare_index_params()
        params.add_index("dummy", index_type="FLAT", metric_type="L2")
        self._client.create_collection(name, schema=schema, index_params=params)
        rows = [{"key": f"{file}#{lo // _PART}", "file": file, "part": lo // _PART,
                 "data": base64.b64encode(data[lo:lo + _PART]).decode("ascii"),
                 "dummy": [0.0, 0.0]}
                for file, data in blobs.items() for lo in range(0, max(len(data), 1), _PART)]
        for lo in range(0, len(rows), 200):
            self._client.insert(name, rows[lo:lo + 200])
        self._client.flush(name)

    def _switch(self, chunks: str) -> None:
        if self.alias in self._client.list_aliases().get("aliases", []):
            self._client.alter_alias(chunks, self.alias)
        else:
            self._client.create_alias(chunks, self.alias)

    def _read_file(self, version: str, file: str, size: int | None = None) -> bytes:
        """A file's bytes: by key when its size is known (the manifest says), else by name."""
        name = self.collection(version) + _FILES
        with _errors(self.where):
            if not self._client.has_collection(name):
                raise CorruptIndexError(f"{self.where}: {name} is missing — {REBUILD}")
            self._client.load_collection(name)
            if size is None:  # the manifest itself: a few parts at most
                rows = self._client.query(name, filter=f'file == "{file}"',
                                          output_fields=["part", "data"], limit=1000)
            else:
                keys = [f"{file}#{i}" for i in range(max(1, -(-size // _PART)))]
                rows = []
                # 200 rows (12.8 MB) per call stay under gRPC's 64 MB message limit.
                for lo in range(0, len(keys), 200):
                    rows += self._client.get(name, ids=keys[lo:lo + 200],
                                             output_fields=["part", "data"])
        rows.sort(key=lambda r: int(r["part"]))
        if [int(r["part"]) for r in rows] != list(range(len(rows))) or not rows:
            raise CorruptIndexError(f"{self.where}: {file} of {version} is incomplete — "
                                    f"{REBUILD}")
        return b"".join(base64.b64decode(r["data"]) for r in rows)

    def _read_verified(self, version: str, manifest: Manifest) -> dict[str, bytes]:
        blobs = {f: self._read_file(version, f, s.size) for f, s in manifest.files.items()}
        for file, expected in manifest.files.items():
            if not _matches(blobs[file], expected):
                raise CorruptIndexError(f"{self.where}: {file} of {version} is corrupt "
                                        f"(checksum mismatch) — {REBUILD}")
        return blobs

    def _drop_unpublished(self, chunks: str) -> None:
        with contextlib.suppress(Exception):  # the next build's garbage collection retries
            for name in (chunks, chunks + _FILES):
                self._safe_drop(name)

    def _collect_garbage(self, keep: set[str]) -> None:
        """Drop every version but ``keep`` (also pairs left by a build that was killed)."""
        with contextlib.suppress(Exception):  # old versions only cost space
            pattern = re.compile(re.escape(self.alias) + r"_v\d{8}T\d{12}_[0-9a-f]{6}")
            for name in self._client.list_collections():
                if pattern.fullmatch(name) and name not in keep:
                    self._safe_drop(name)
                    self._safe_drop(name + _FILES)

    def _safe_drop(self, name: str) -> None:
        """Drop a collection unless an alias names it or it is an alias: Milvus Lite
        silently drops the target of an alias, and the aliases of a dropped collection."""
        if not self._client.has_collection(name) or name == self.alias:
            return
        if self._client.list_aliases(collection_name=name).get("aliases"):
            return
        if name in self._client.list_aliases().get("aliases", []):
            return
        self._client.drop_collection(name)


def sparse_rows(bm25: BM25Index) -> list[dict[int, float]]:
    """Each chunk's BM25 weights as column -> weight (the matrix read row by row)."""
    from scipy.sparse import csc_matrix

    columns = len(bm25.indptr) - 1
    rows = csc_matrix((bm25.data, bm25.indices, bm25.indptr),
                      shape=(bm25.num_docs, columns)).tocsr()
    return [dict(zip(rows.indices[rows.indptr[i]:rows.indptr[i + 1]].tolist(),
                     rows.data[rows.indptr[i]:rows.indptr[i + 1]].tolist(), strict=True))
            for i in range(bm25.num_docs)]


def _matches(data: bytes, expected: FileSum) -> bool:
    return len(data) == expected.size and hashlib.sha256(data).hexdigest() == expected.sha256


@contextlib.contextmanager
def _errors(where: str, kind: type[KabarError] = CorruptIndexError) -> Iterator[None]:
    """Milvus failures as one-line Kabar errors that say where and what to do."""
    try:
        yield
    except KabarError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0] != "pymilvus":
            raise
        message = getattr(exc, "message", "") or str(exc)
        action = "the published version is kept" if kind is IndexWriteError else \
            "check that Milvus is running and KABAR_MILVUS_URI"
        raise kind(f"Milvus at {where} failed ({message.strip()[:200]}) — {action}") from None
