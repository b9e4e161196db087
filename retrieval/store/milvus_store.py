"""Index versions in Milvus: a small collection per version, its rows shared.

A version ``v…-abc123`` of the alias ``kabar`` (``KABAR_MILVUS_COLLECTION``) is:

- ``kabar_v…_abc123`` (its *head*, :mod:`~retrieval.store.milvus_head`): its manifest and the
  list of its file parts; the alias names it, so one atomic alias switch publishes it;
- its chunk rows, in ``kabar_rows_<generation>`` (:mod:`~retrieval.store.milvus_rows`):
  every version of a generation shares that collection, each row saying which versions hold
  it (``born``/``died``); a reader filters on its version;
- its files (articles, offsets, sentence vectors, BM25 matrix and ``chunk_rows.npy``: each
  chunk's row key and checksums), as content-addressed parts in ``kabar_parts_<generation>``
  (:mod:`~retrieval.store.milvus_parts`), which versions share too.

So a publish writes what changed: the rows of added and changed articles (it marks those
of removed ones), the file parts no earlier version holds, and a new head. A generation
starts anew when what the rows depend on changes (model, chunking, BM25 settings, vector
index: :func:`~retrieval.store.milvus_rows.fingerprint`), or the published one is damaged.
A build writes everything, waits until a reader would see it, and only then switches the
alias; a build killed at any point leaves the previous version serving, and its leftovers
(rows born later, rows it marked dead, parts it wrote) are invisible to every published
version and undone by the next build. After the switch, what no kept version holds is
deleted (the version published just before stays, for replicas still loading it); never a
collection an alias names.

Damage is found as with the folder store: every part's key is its SHA-256 and every file's
checksum is in the manifest, checked on every load; every chunk row's checksums by
``verify`` (plain ``kabar index`` when nothing changed) and by every load inside a build
(a build reuses the rows); a reader checks the vectors of the hits each answer uses. A
damaged Milvus Lite alias file is reported, and replaced by the next build.
"""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.config import Settings
from retrieval.errors import CorruptIndexError, IndexWriteError, NoIndexError
from retrieval.store import (
    codec,
    milvus_caps,
    milvus_gc,
    milvus_head,
    milvus_local,
    milvus_parts,
    milvus_rows,
    versions,
)
from retrieval.store.bm25_matrix import BM25Index
from retrieval.store.data import IndexData, Layout, StoredArticle
from retrieval.store.disk import REBUILD
from retrieval.store.manifest import Manifest
from retrieval.store.milvus import MilvusVectorIndex, RowView, open_index
from retrieval.store.milvus_client import check_installed, is_lite, shown_uri, use
from retrieval.store.milvus_client import failures as _errors
from retrieval.store.milvus_head import PARTS, Head, Prior, PublishStats, rows_of

__all__ = ["MilvusStore"]


#: Each chunk's natural key, row key and checksums (:class:`~retrieval.store.milvus_rows.Plan`).
_ROWS = "chunk_rows.npy"
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
        #: What the last publish of this process wrote.
        self.last_publish: PublishStats | None = None

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
        return Manifest.from_json(self._head_file(version, "manifest.json"),
                                  f"{self.where}: {version} manifest")

    def check_compatible(self, manifest: Manifest, model_id: str | None) -> None:
        """Same format and model."""
        versions.check_compatible(manifest, model_id, Path(self.where))

    def verify(self, version: str, manifest: Manifest) -> None:
        """Every part's checksum, and every chunk row's."""
        with self._noting_damage(version):
            head = self._head(version)
            blobs = self._read_verified(version, head)
            index = self._chunk_index(version, head, blobs[_ROWS])
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
            head = self._head(version)
            self.check_compatible(head.manifest, model_id)
            blobs = self._read_verified(version, head)
            index = self._chunk_index(version, head, blobs.pop(_ROWS))
            if (self._uri, self.alias) in _building:
                with self._errors():
                    index.verify_rows()
            data = versions.from_blobs(version, head.manifest, blobs, lambda: index,
                                       self.where)
        if index.view is not None and index.mode == milvus_caps.HYBRID:
            # The rows hold BM25's term part; a question's terms carry this version's IDF.
            index.view = dataclasses.replace(index.view, idf=milvus_rows.idf(data.bm25))
        return data

    @contextlib.contextmanager
    def _noting_damage(self, version: str) -> Iterator[None]:
        try:
            yield
        except CorruptIndexError:
            _damaged.add((self._uri, self.collection(version)))
            raise

    def _head_file(self, version: str, file: str) -> bytes:
        name = self.collection(version)
        with self._errors():
            if not self._client.has_collection(name):
                raise CorruptIndexError(f"{self.where}: {name} is missing — {REBUILD}")
            data = milvus_head.read_file(self._client, name, file)
        if data is None:
            raise CorruptIndexError(f"{self.where}: {file} of {version} is incomplete — "
                                    f"{REBUILD}")
        return data

    def _head(self, version: str) -> Head:
        manifest = self.read_manifest(version)
        try:
            return Head.parse(manifest, self._head_file(version, PARTS))
        except (ValueError, KeyError, TypeError, AttributeError):
            raise CorruptIndexError(f"{self.where}: {PARTS} of {version} cannot be read "
                                    f"(written by an older Kabar?) — {REBUILD}") from None

    def _read_verified(self, version: str, head: Head) -> dict[str, bytes]:
        """Every file of the version, each checked against the manifest."""
        _, parts = rows_of(head.generation, self.alias)
        blobs = {}
        with self._errors():
            if not self._client.has_collection(parts):
                raise CorruptIndexError(f"{self.where}: {parts} is missing — {REBUILD}")
            self._client.load_collection(parts)
            for file, expected in head.manifest.files.items():
                keys = head.files.get(file)
                data = None if keys is None else \
                    milvus_parts.read_file(self._client, parts, keys)
                if data is None or not milvus_parts.matches(data, expected):
                    raise CorruptIndexError(f"{self.where}: {file} of {version} is corrupt "
                                            f"(checksum mismatch) — {REBUILD}")
                blobs[file] = data
        return blobs

    def _chunk_index(self, version: str, head: Head, table: bytes) -> MilvusVectorIndex:
        """The version's chunk rows, loaded, checked against their checksums."""
        try:
            rows = np.asarray(codec.npy_view(table), np.uint64).reshape(-1, 4)
        except ValueError as exc:  # the checksum passed: a bug or a foreign file
            raise CorruptIndexError(f"{self.where}: {_ROWS} of {version} cannot be read "
                                    f"({exc}) — {REBUILD}") from None
        name, _ = rows_of(head.generation, self.alias)
        with self._errors():
            if not self._client.has_collection(name):
                raise CorruptIndexError(f"{self.where}: {name} is missing — {REBUILD}")
            self._client.load_collection(name)  # a reopened collection is not loaded
            mode = milvus_caps.search_mode(self._client, name)  # as it was built
        view = RowView(milvus_rows.seq_of(version), rows[:, 1].astype(np.int64))
        return open_index(self._client, name, head.manifest.dim, head.manifest.vector_kind,
                          mode, np.ascontiguousarray(rows[:, 2:]), view)

    def write_version(self, manifest: Manifest, articles: Sequence[StoredArticle],
                      layout: Layout, sentence_vectors: np.ndarray,
                      chunk_vectors: np.ndarray, bm25: BM25Index) -> str:
        """Write what changed since the published version (rows, file parts) and a new
        head, then switch the alias to it."""
        blobs = versions.version_blobs(articles, layout, sentence_vectors, bm25)
        dense = np.ascontiguousarray(chunk_vectors, dtype=np.float32)
        with _errors(self.where, IndexWriteError):
            self._repair_aliases()
            before = self._published_or_none()
            mode = milvus_caps.probe_cached(self._client, self._uri)
            basis = milvus_rows.fingerprint(manifest, mode)
            prior = self._prior(before, basis)
        gen = prior.head.generation if prior else uuid.uuid4().hex[:8]
        rows, parts = rows_of(gen, self.alias)
        seq, head = 0, ""
        try:
            with _errors(self.where, IndexWriteError):
                milvus_gc.prepare(self._client, prior, rows, parts, manifest, mode)
                keys = milvus_rows.natural_keys(articles, len(dense), basis)
                work = milvus_rows.plan(self._client, rows, keys,
                                        prior.table if prior else None)
                terms = milvus_rows.prepare(work, dense, bm25, mode)
                blobs[_ROWS] = codec.npy_bytes(work.table)
                name, manifest = versions.stamp_manifest(manifest, blobs, manifest.vector_kind)
                seq, head = milvus_rows.seq_of(name), self.collection(name)
                self._fill(rows, work, dense, terms, seq, mode)
                written = self._write_files(head, parts, manifest, blobs, prior, gen, basis,
                                            seq)
                self._switch(head)
        except BaseException:
            self._drop_unpublished(head, prior is None, rows, parts, seq, mode)
            raise
        listing, count, size = written
        self.last_publish = PublishStats(len(work.fresh), len(work.dead), count, size,
                                         prior is None)
        self._after_publish(head, before, prior, gen, listing)
        return name

    def _prior(self, before: str | None, basis: str) -> Prior | None:
        """The published version when its rows and parts can be reused, else ``None``."""
        if before is None or (self._uri, self.collection(before)) in _damaged:
            return None
        try:
            head = self._head(before)
            if head.fingerprint != basis:
                return None
            rows, _ = rows_of(head.generation, self.alias)
            if not self._client.has_collection(rows):
                return None
            files = self._read_verified(before, dataclasses.replace(
                head, manifest=dataclasses.replace(
                    head.manifest, files={_ROWS: head.manifest.files[_ROWS]})))
            table = np.asarray(codec.npy_view(files[_ROWS]), np.uint64).reshape(-1, 4)
        except (CorruptIndexError, KeyError, ValueError):
            return None  # a new generation replaces what cannot be read
        return Prior(head, table, milvus_rows.seq_of(before))

    def _fill(self, rows: str, work: milvus_rows.Plan, dense: np.ndarray,
              terms: Sequence[Mapping[int, float]], seq: int, mode: str) -> None:
        """Write the version's new rows, mark its removed ones, and wait until a reader of
        it sees them all."""
        milvus_rows.write(self._client, rows, work, dense, terms, seq, mode)
        milvus_rows.wait_visible(self._client, rows, seq, len(work.table), 30 * self._timeout)
        milvus_rows.warm_up(self._client, rows, work, dense, seq, mode)

    def _write_files(self, head: str, parts: str, manifest: Manifest,
                     blobs: Mapping[str, bytes], prior: Prior | None, gen: str, basis: str,
                     seq: int) -> tuple[dict[str, list[str]], int, int]:
        """Write the parts no earlier version holds, then the head naming them all.

        Returns:
            Each file's part keys, and how many parts and bytes were written.
        """
        known = prior.parts() if prior else set()
        listing, count, size = milvus_parts.write_parts(self._client, parts, blobs, known,
                                                        seq)
        milvus_head.create(self._client, head, {
            "manifest.json": manifest.to_json(),
            PARTS: milvus_head.parts_json(gen, basis, listing)})
        return listing, count, size

    def _after_publish(self, head: str, before: str | None, prior: Prior | None, gen: str,
                       listing: Mapping[str, list[str]]) -> None:
        """Delete what no kept version holds: the version published just before stays
        (replicas may still be loading it) unless it is damaged."""
        damaged = {found for uri, found in _damaged if uri == self._uri}
        kept = {head} | ({self.collection(before)} - damaged if before else set())
        gens, keep_parts = {gen}, {k for keys in listing.values() for k in keys}
        oldest = milvus_rows.seq_of(self._version_of(head))
        if before is not None and len(kept) > 1:
            oldest = milvus_rows.seq_of(before)
            before_head = prior.head if prior else self._head_or_none(before)
            if before_head is not None:  # its generation stays while it is kept
                gens.add(before_head.generation)
                keep_parts |= Prior(before_head, np.zeros(0), 0).parts()
        rows, parts = rows_of(gen, self.alias)
        with contextlib.suppress(Exception):  # old rows only cost space: the next build
            milvus_rows.collect(self._client, rows, oldest)
        self._collect_garbage(kept, damaged, gens, (parts, keep_parts))

    def _version_of(self, head: str) -> str:
        stem = head[len(self.alias) + 1:]
        return stem[:-7] + "-" + stem[-6:]

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

    def _switch(self, head: str) -> None:
        if self.alias in self._client.list_aliases().get("aliases", []):
            self._client.alter_alias(head, self.alias)
        else:
            self._client.create_alias(head, self.alias)

    def _drop_unpublished(self, head: str, fresh: bool, rows: str, parts: str, seq: int,
                          mode: str) -> None:
        """Undo a build that failed before its switch (the next build's clean-up finishes
        what fails here)."""
        with contextlib.suppress(Exception):
            if head:
                self._safe_drop(head)
            if fresh:
                self._safe_drop(rows)
                self._safe_drop(parts)
            elif seq:
                milvus_rows.rollback(self._client, rows, seq, mode == milvus_caps.HYBRID)
                milvus_parts.delete_born_after(self._client, parts, seq - 1)

    def _collect_garbage(self, kept: set[str], damaged: set[str], gens: set[str],
                         parts: tuple[str, set[str]]) -> None:
        milvus_gc.collect(self._client, self.alias, kept, damaged, gens, parts,
                          self._parts_of, self._lite)
        for name in damaged:
            _damaged.discard((self._uri, name))

    def _head_or_none(self, version: str) -> Head | None:
        try:
            return self._head(version)
        except Exception:
            return None

    def _parts_of(self, head: str, parts: str) -> set[str]:
        """The parts a head names in ``parts`` (none when it cannot be read)."""
        found = self._head_or_none(self._version_of(head))
        if found is None or rows_of(found.generation, self.alias)[1] != parts:
            return set()
        return Prior(found, np.zeros(0), 0).parts()

    def _safe_drop(self, name: str) -> None:
        milvus_gc.drop(self._client, self.alias, name)
