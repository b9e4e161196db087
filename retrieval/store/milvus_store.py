"""Index versions in Milvus: one pair of collections per version, published by an alias.

A version ``v…-abc123`` is two collections named after ``KABAR_MILVUS_COLLECTION``
(``kabar`` below):

- ``kabar_v…_abc123``: one row per chunk: its id, dense vector and, where Milvus holds
  sparse vectors (probed once by the build: :mod:`~retrieval.store.milvus_caps`), its BM25
  weights; on a 2.3 server the BM25 side is the files' BM25 matrix, scored by each replica;
- ``kabar_v…_abc123_files``: every other part of the version (manifest, articles with their
  text and metadata, sentence and chunk offsets, sentence vectors, BM25 matrix), as the same
  bytes the local store writes to files, base64 in rows of at most 64 kB, with checksums in
  the manifest. Milvus needs a vector field in every collection: these rows hold a dummy one.
  One of them, ``chunk_sums.npy``, holds a checksum of every chunk row (its id and vector,
  its id and BM25 weights; :func:`~retrieval.store.milvus.row_sums`).

The alias ``kabar`` names the published chunk collection. A build fills a new pair, flushes
it, warms it up, and only then points the alias at it (one atomic call), so a crash at any
point leaves the previous version serving; older pairs are dropped afterwards, never one
that an alias names. Replicas need nothing else: they load a version from the collections.
The build's lock and the seeds' file list stay in ``KABAR_INDEX_DIR`` on the building machine
(:mod:`retrieval.building.state`).

Damage is found as with the folder store: the files' checksums on every load; every chunk
row's checksums by ``verify`` (plain ``kabar index`` when nothing changed) and by every load
inside a build (a build reuses the rows, so a damaged one makes it rebuild everything);
a reader checks the vectors of the hits each answer uses (a few dozen hashes, where reading
every row back costs seconds at 20k chunks). A damaged Milvus Lite alias file is reported,
and replaced by the next build.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.config import Settings
from retrieval.errors import CorruptIndexError, IndexWriteError, KabarError, NoIndexError
from retrieval.store import codec, milvus_caps, milvus_local, versions
from retrieval.store.bm25_matrix import BM25Index
from retrieval.store.data import IndexData, Layout, StoredArticle
from retrieval.store.disk import REBUILD
from retrieval.store.manifest import FileSum, Manifest
from retrieval.store.milvus import (
    MilvusHybridIndex,
    MilvusVectorIndex,
    create_chunk_collection,
    open_index,
    row_sums,
)
from retrieval.store.milvus_client import check_installed, is_lite, shown_uri, use

__all__ = ["MilvusStore"]

log = logging.getLogger(__name__)

_PART = 48_000  # bytes per row: base64 makes 64,000 ASCII characters, under Milvus' 65,535
_FILES = "_files"
_SUMS = "chunk_sums.npy"
#: Seconds to wait for a Milvus Lite file another process holds, once this one has the build
#: lock: the build that had it may still be exiting (long enough when it had to wait for it,
#: short otherwise: then the holder is more likely a bot that will not let go).
_LITE_WAIT, _LITE_GRACE = 20.0, 3.0
#: (URI, alias) of the stores whose build lock this process holds.
_building: set[tuple[str, str]] = set()
#: (URI, collection) of the versions found damaged: the next publish drops them (Milvus Lite
#: cannot even list the collections while a damaged one is there).
_damaged: set[tuple[str, str]] = set()


class MilvusStore:
    """Index versions in Milvus behind the alias ``alias``.

    Connected on first use, so that a build takes its lock before it opens a Milvus Lite
    file (which another build may still hold).

    Args:
        uri: Milvus' URI, or a Milvus Lite path (shown in messages without credentials).
        alias: The alias replicas read (``KABAR_MILVUS_COLLECTION``).
        token: Milvus' token (never shown).
        timeout: Seconds each Milvus call may take (``KABAR_MILVUS_TIMEOUT``).
    """

    name = "milvus"

    def __init__(self, uri: str, alias: str, token: str = "", timeout: float = 10.0) -> None:
        self._uri = uri
        self._token = token
        self._timeout = timeout
        self.alias = alias
        self._lite = Path(uri) if is_lite(uri) else None

    @classmethod
    def open(cls, settings: Settings) -> MilvusStore:
        """The Milvus ``settings`` name (connected on first use).

        Raises:
            ConfigError: pymilvus (or Milvus Lite, for a path) is not installed.
        """
        check_installed(is_lite(settings.milvus_target))
        return cls(settings.milvus_target, settings.milvus_collection, settings.milvus_token,
                   settings.milvus_timeout)

    @property
    def _client(self) -> Any:
        """This process's client of the URI (connecting raises a one-line ConfigError)."""
        return use(self._uri, self._token, timeout=self._timeout)

    @property
    def vector_index(self) -> str:
        """Milvus: the chunk collection is the vector index."""
        return "milvus"

    @property
    def where(self) -> str:
        """The URI (without any user:password part) and the alias."""
        return f"{shown_uri(self._uri)} collection {self.alias}"

    @contextlib.contextmanager
    def building(self, waited: bool) -> Iterator[None]:
        """Connect (waiting a little for a Milvus Lite file the build before may still
        hold); while the build runs, loading a version checks every chunk row (the build
        reuses them)."""
        key = (self._uri, self.alias)
        use(self._uri, self._token, _LITE_WAIT if waited else _LITE_GRACE, self._timeout)
        _building.add(key)
        try:
            yield
        finally:
            _building.discard(key)

    def collection(self, version: str) -> str:
        """The chunk collection of ``version``."""
        return f"{self.alias}_{version.replace('-', '_')}"

    def current_version(self) -> str | None:
        """The version the alias names, or ``None``.

        Raises:
            CorruptIndexError: The alias names no Kabar version, or Milvus Lite's alias
                file is damaged (the message says which file).
        """
        self._check_aliases(parse=False)  # a FIFO there would hang Milvus Lite
        try:
            with self._errors():
                if self.alias not in self._client.list_aliases().get("aliases", []):
                    return None
                target = str(self._client.describe_alias(self.alias)["collection_name"])
        except CorruptIndexError:
            self._check_aliases(parse=True)  # the likely cause when Milvus Lite fails here
            raise
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
        """Every part's checksum, and every chunk row's."""
        with self._noting_damage(version):
            blobs = self._read_verified(version, manifest)
            index = self._chunk_index(version, manifest, blobs.get(_SUMS))
            with self._errors():
                index.verify_rows()

    def load(self, model_id: str | None = None, version: str | None = None) -> IndexData:
        """Load a version: its parts into memory, its chunk vectors searched in Milvus.

        Every chunk row is checked when this process holds the build lock; otherwise the
        vectors each search returns are.
        """
        version = version or self.current_version()
        if version is None:
            raise NoIndexError(f"no index in Milvus at {self.where} — run `kabar index`")
        with self._noting_damage(version):
            manifest = self.read_manifest(version)
            self.check_compatible(manifest, model_id)
            blobs = self._read_verified(version, manifest)
            index = self._chunk_index(version, manifest, blobs.pop(_SUMS, None))
            if (self._uri, self.alias) in _building:
                with self._errors():
                    index.verify_rows()
            return versions.from_blobs(version, manifest, blobs, lambda: index, self.where)

    @contextlib.contextmanager
    def _noting_damage(self, version: str) -> Iterator[None]:
        try:
            yield
        except CorruptIndexError:
            _damaged.add((self._uri, self.collection(version)))
            raise

    def _chunk_index(self, version: str, manifest: Manifest, sums: bytes | None
                     ) -> MilvusVectorIndex:
        """The version's chunk collection, loaded, checked against ``sums`` (``None``:
        built before Kabar kept them)."""
        rows = None
        if sums is not None:
            try:
                rows = np.asarray(codec.npy_view(sums), np.uint64).reshape(-1, 2)
            except ValueError as exc:  # the checksum passed: a bug or a foreign file
                raise CorruptIndexError(f"{self.where}: {_SUMS} of {version} cannot be read "
                                        f"({exc}) — {REBUILD}") from None
        name = self.collection(version)
        with self._errors():
            self._client.load_collection(name)  # a reopened collection is not loaded
            mode = milvus_caps.search_mode(self._client, name)  # as it was built
        return open_index(self._client, name, manifest.dim, manifest.vector_kind, mode, rows)

    def write_version(self, manifest: Manifest, articles: Sequence[StoredArticle],
                      layout: Layout, sentence_vectors: np.ndarray,
                      chunk_vectors: np.ndarray, bm25: BM25Index) -> str:
        """Fill a new pair of collections (Milvus builds the manifest's ``vector_kind``),
        then switch the alias to it."""
        blobs = versions.version_blobs(articles, layout, sentence_vectors, bm25)
        ids = np.arange(bm25.num_docs, dtype=np.int64)
        dense = np.ascontiguousarray(chunk_vectors, dtype=np.float32)
        sparse = sparse_rows(bm25)
        blobs[_SUMS] = codec.npy_bytes(row_sums(ids.tolist(), dense, sparse))
        kind = manifest.vector_kind
        name, manifest = versions.stamp_manifest(manifest, blobs, kind)
        blobs["manifest.json"] = manifest.to_json()
        chunks = self.collection(name)
        try:
            with _errors(self.where, IndexWriteError):
                self._repair_aliases()
                before = self._published_or_none()
                mode = milvus_caps.probe_cached(self._client, self._uri)
                self._fill(chunks, kind, dense, sparse, mode)
                self._write_files(chunks + _FILES, blobs)
                self._switch(chunks)
        except BaseException:
            self._drop_unpublished(chunks)
            raise
        # The version replicas may still be loading stays until the next publish, unless
        # it is damaged.
        damaged = {found for uri, found in _damaged if uri == self._uri}
        kept = {self.collection(before)} - damaged if before else set()
        self._collect_garbage(keep={chunks} | kept, damaged=damaged)
        return name

    def _published_or_none(self) -> str | None:
        """The published version, or ``None`` when the alias names none (a build replaces
        whatever it names)."""
        try:
            return self.current_version()
        except CorruptIndexError:
            return None

    def _repair_aliases(self) -> None:
        """Replace Milvus Lite's alias file when damaged (this process holds the file)."""
        if self._lite is not None:
            self._client  # noqa: B018  (opened: nobody else can write the file now)
            milvus_local.repair_aliases(self._lite)

    def _check_aliases(self, parse: bool) -> None:
        if self._lite is not None:
            milvus_local.check_aliases(self._lite, parse)

    def _errors(self) -> contextlib.AbstractContextManager[None]:
        """Reading failures as one-line errors: on a Milvus Lite path, damage."""
        action = f"the Milvus Lite data may be damaged: {REBUILD}" if self._lite else \
            "check that Milvus is running and KABAR_MILVUS_URI"
        return _errors(self.where, action=action)

    def _fill(self, name: str, kind: str, dense: np.ndarray,
              sparse: Sequence[Mapping[int, float]], mode: str) -> None:
        n, dim = len(dense), dense.shape[1]
        create_chunk_collection(self._client, name, dim, kind, mode)
        index = open_index(self._client, name, dim, kind, mode)
        ids = np.arange(n, dtype=np.int64)
        index.add(ids, dense, sparse)
        # The first sparse search builds Milvus' posting lists (seconds at 20k chunks): done
        # here, before the alias switch, rather than by a replica's first question.
        if n and isinstance(index, MilvusHybridIndex):
            index.hybrid(index.vectors(ids[:1])[0], {0: 1.0}, 1, 1)
        elif n:
            index.search(index.vectors(ids[:1])[0], 1)

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
        with self._errors():
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
        for name in (chunks, chunks + _FILES):
            with contextlib.suppress(Exception):  # the next build's garbage collection retries
                self._safe_drop(name)

    def _collect_garbage(self, keep: set[str], damaged: set[str]) -> None:
        """Drop every version but ``keep`` (also pairs left by a build that was killed, and
        ``damaged`` ones first), each on its own: one that fails does not keep the others."""
        for name in damaged - keep:
            for one in (name, name + _FILES):
                with contextlib.suppress(Exception):
                    self._safe_drop(one)
            _damaged.discard((self._uri, name))
        pattern = re.compile(re.escape(self.alias) + r"_v\d{8}T\d{12}_[0-9a-f]{6}"
                             f"(?:{_FILES})?")
        try:
            names = self._client.list_collections()
        except Exception:  # old versions only cost space; the next build retries
            names = milvus_local.collection_names(self._lite) if self._lite else []
        for name in names:
            if pattern.fullmatch(name) and name.removesuffix(_FILES) not in keep:
                with contextlib.suppress(Exception):
                    self._safe_drop(name)

    def _safe_drop(self, name: str) -> None:
        """Drop a collection unless an alias names it or it is an alias: Milvus Lite
        silently drops the target of an alias, and the aliases of a dropped collection."""
        if name == self.alias:
            return
        try:
            if not self._client.has_collection(name):
                return
        except Exception:  # Milvus Lite cannot open a damaged collection, but drops it
            log.debug("dropping %s, which Milvus cannot open", name, exc_info=True)
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
def _errors(where: str, kind: type[KabarError] = CorruptIndexError, action: str = ""
            ) -> Iterator[None]:
    """Milvus failures as one-line Kabar errors that say where and what to do."""
    try:
        yield
    except KabarError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0] != "pymilvus":
            raise
        message = getattr(exc, "message", "") or str(exc)
        action = action or ("the published version is kept" if kind is IndexWriteError else
                            "check that Milvus is running and KABAR_MILVUS_URI")
        raise kind(f"Milvus at {where} failed ({message.strip()[:200]}) — {action}") from None
