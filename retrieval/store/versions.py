"""The index on disk: plain files in versioned folders, published atomically.

Layout of an index folder::

    index/
      CURRENT                 name of the published version (replaced atomically)
      versions/<name>/
        manifest.json         format, model, dim, chunker settings, article hashes, file sums
        articles.jsonl        one cleaned article per line, with its metadata
        layout.npz            chunk and sentence offsets
        sentences.npy         sentence vectors (float16)
        dense.faiss           chunk vectors in the vector index (FAISS by default)
        bm25.npz, bm25_vocab.json

(The build's ``.lock`` and ``seeds-state.json`` sit beside them: :mod:`retrieval.building.state`.)
A build writes a new version folder beside the published one, syncs it, and only then
replaces ``CURRENT``; a process killed at any point leaves the previous version published
and whole. Every file's size and SHA-256 are in the manifest and checked on load.

Loading reads each file of a version once into memory and checks its checksum on those
bytes, which are then parsed: nothing is memory-mapped, so a file truncated or rewritten
by someone else while a bot serves it cannot crash the process (a mapped page that
vanishes raises SIGBUS), and what is served is exactly what was verified. ``CURRENT`` must
name a version of the expected shape; anything else is reported as damage, which plain
``kabar index`` repairs by rebuilding. Every file is opened as a regular file only and read
no further than its recorded size (:mod:`retrieval.safe_io`): a FIFO, device or link in a
version folder is damage like any other, reported at once, never waited on. A write that
fails (disk full, quota, read-only file system) removes its temporary folder and leaves the
published version as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import re
import shutil
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from retrieval.errors import ConfigError, CorruptIndexError, IndexMismatchError, NoIndexError
from retrieval.safe_io import UnsafeFileError, make_folder_exclusive, read_regular
from retrieval.store import codec, vectors
from retrieval.store.bm25_matrix import BM25Index
from retrieval.store.data import IndexData, Layout, StoredArticle
from retrieval.store.disk import (
    REBUILD,
    fsync_dir,
    read_bytes,
    read_verified,
    replace_file,
    write_error,
    write_synced,
)
from retrieval.store.manifest import FORMAT_VERSION, FileSum, Manifest
from retrieval.store.vectors import VectorIndex

__all__ = ["check_compatible", "clear_leftovers", "current_version", "from_blobs", "load",
           "read_manifest", "stamp_manifest", "verify", "version_blobs", "write_version"]

_CURRENT = "CURRENT"
_VERSIONS = "versions"
_KEEP_OLD = 1  # older versions kept besides the published one, for readers still loading
#: The shape of a version name (``v20240224T203500123456-1a2b3c``): ``CURRENT`` must hold one.
_VERSION_NAME = re.compile(r"v\d{8}T\d{12}-[0-9a-f]{6}")
#: The file of the vector index, by backend.
_VECTOR_FILE = "dense.faiss"
#: ``CURRENT`` holds one version name: anything longer is damage.
_CURRENT_MAX = 200


def current_version(index_dir: Path) -> str | None:
    """Name of the published version, or ``None`` when nothing is published.

    Raises:
        ConfigError: ``index_dir`` is a file, not a folder.
        CorruptIndexError: ``CURRENT`` cannot be read or does not name a version.
    """
    _check_folder(index_dir)
    path = index_dir / _CURRENT
    try:
        raw = read_regular(path, _CURRENT_MAX)
    except FileNotFoundError:
        return None
    except UnsafeFileError as exc:
        raise CorruptIndexError(f"{path} is damaged ({exc.strerror}) — {REBUILD}") from None
    except OSError as exc:
        raise CorruptIndexError(f"{path} cannot be read ({exc.strerror or exc}) — {REBUILD}") \
            from None
    name = raw.decode("ascii", "replace").strip()
    if not name:
        return None
    if not _VERSION_NAME.fullmatch(name) or (index_dir / _VERSIONS / name).is_symlink():
        raise CorruptIndexError(f"{path} is damaged (it names no index version) — {REBUILD}")
    return name


def _check_folder(index_dir: Path) -> None:
    if index_dir.exists() and not index_dir.is_dir():
        raise ConfigError(
            f"the index path {index_dir} is a file, not a folder — point --index or "
            "KABAR_INDEX_DIR at a folder (it is created when missing)")


def read_manifest(index_dir: Path, version: str | None = None) -> Manifest:
    """Read the manifest of ``version`` (default: the published one).

    Raises:
        NoIndexError: Nothing is published in ``index_dir``.
        CorruptIndexError: The manifest is missing, unreadable or malformed.
    """
    version = version or current_version(index_dir)
    if version is None:
        raise NoIndexError(f"no index at {index_dir}/ — run `kabar index` to build it")
    path = index_dir / _VERSIONS / version / "manifest.json"
    return Manifest.from_json(read_bytes(path), str(path))


def check_compatible(manifest: Manifest, model_id: str | None, index_dir: Path) -> None:
    """Raise :class:`IndexMismatchError` when the index cannot serve ``model_id``."""
    if manifest.format_version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"the index at {index_dir}/ has format {manifest.format_version}, this Kabar "
            f"reads format {FORMAT_VERSION} — run `kabar index --full` to rebuild it")
    if model_id is not None and manifest.model != model_id:
        raise IndexMismatchError(
            f"the index at {index_dir}/ was built with the model {manifest.model!r} "
            f"but KABAR_EMBEDDING_MODEL is {model_id!r} — run `kabar index` to rebuild it "
            "with the configured model, or set KABAR_EMBEDDING_MODEL back")


def load(index_dir: Path, model_id: str | None = None, version: str | None = None) -> IndexData:
    """Load and verify the published index version, wholly into memory.

    Args:
        index_dir: The index folder.
        model_id: When given, the model the index must have been built with.
        version: A specific version to load instead of the published one.

    Raises:
        NoIndexError: No index has been built.
        IndexMismatchError: Another model or format; the message says how to rebuild.
        CorruptIndexError: A file is missing, truncated or altered.
    """
    version = version or current_version(index_dir)
    manifest = read_manifest(index_dir, version)
    assert version is not None  # read_manifest raised otherwise
    check_compatible(manifest, model_id, index_dir)
    blobs = read_verified(index_dir / _VERSIONS / version, manifest.files)
    return from_blobs(version, manifest, blobs, lambda: vectors.load(
        manifest.vector_backend, blobs.pop(_VECTOR_FILE)), f"{index_dir}/")


def from_blobs(version: str, manifest: Manifest, blobs: dict[str, bytes],
               chunk_vectors: Callable[[], VectorIndex], where: str) -> IndexData:
    """A version's parts parsed from its verified file contents (any store).

    Raises:
        CorruptIndexError: The parts cannot be read or do not agree.
    """
    try:
        data = IndexData(
            version=version, manifest=manifest,
            articles=tuple(codec.articles_from_bytes(blobs.pop("articles.jsonl"))),
            layout=codec.layout_from_bytes(blobs.pop("layout.npz")),
            sentence_vector_rows=codec.npy_view(blobs.pop("sentences.npy")),
            vectors=chunk_vectors(),
            bm25=BM25Index.from_files(blobs))
    except IndexMismatchError:  # a vector index not installed here: a build republishes
        raise
    except Exception as exc:  # the checksums passed, so this is a bug or a foreign file
        raise CorruptIndexError(
            f"could not read index version {version} in {where} ({exc}) — {REBUILD}"
        ) from exc
    if len(data.vectors) != data.num_chunks or data.bm25.num_docs != data.num_chunks:
        raise CorruptIndexError(f"index version {version} in {where} is inconsistent "
                                f"(chunk counts differ) — {REBUILD}")
    return data


def write_version(index_dir: Path, manifest: Manifest, articles: Sequence[StoredArticle],
                  layout: Layout, sentence_vectors: np.ndarray, chunk_vectors: np.ndarray,
                  bm25: BM25Index) -> str:
    """Write a complete new version and publish it atomically.

    The chunk vectors (row ``i`` = chunk ``i``) go into a vector index of the manifest's
    ``vector_backend`` and ``vector_kind``, made through the registry
    (:func:`retrieval.store.vectors.create`): the one place a version's vector index is made.

    Returns:
        The new version's name.

    Raises:
        IndexWriteError: The disk is full, the quota exceeded or the folder not writable;
            the temporary folder is removed and the published version stays as it was.
    """
    blobs = version_blobs(articles, layout, sentence_vectors, bm25)
    index = vectors.create(manifest.vector_backend, manifest.dim, manifest.vector_kind)
    index.add(np.arange(len(chunk_vectors), dtype=np.int64), chunk_vectors)
    blobs[_VECTOR_FILE] = index.to_bytes()
    name, manifest = stamp_manifest(manifest, blobs, index.kind)
    blobs["manifest.json"] = manifest.to_json()
    _publish(index_dir, name, blobs)
    _collect_garbage(index_dir, keep=name)
    return name


def version_blobs(articles: Sequence[StoredArticle], layout: Layout,
                  sentence_vectors: np.ndarray, bm25: BM25Index) -> dict[str, bytes]:
    """The file contents of a version, but for its vector index and manifest."""
    return {
        "articles.jsonl": codec.articles_to_bytes(articles),
        "layout.npz": codec.layout_to_bytes(layout),
        "sentences.npy": codec.npy_bytes(np.asarray(sentence_vectors, dtype=np.float16)),
        **bm25.to_files(),
    }


def stamp_manifest(manifest: Manifest, blobs: dict[str, bytes], vector_kind: str
                   ) -> tuple[str, Manifest]:
    """A new version's name, and its manifest with the name, time and file checksums."""
    stamp = dt.datetime.now(dt.UTC)
    name = f"v{stamp:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}"  # sorts in build order
    return name, dataclasses.replace(
        manifest, format_version=FORMAT_VERSION, version=name,
        built_at=stamp.isoformat(timespec="seconds"), vector_kind=vector_kind,
        files={f: FileSum(len(b), hashlib.sha256(b).hexdigest()) for f, b in blobs.items()})


def _publish(index_dir: Path, name: str, blobs: dict[str, bytes]) -> None:
    """Write a version folder beside the others, then switch ``CURRENT`` to it."""
    versions = index_dir / _VERSIONS
    final = versions / name
    tmp: Path | None = None
    try:
        _make_folder(versions)
        # An unpredictable name, made by mkdir (which never reuses what is there).
        tmp = make_folder_exclusive(versions, f".tmp-{name}-")
        for file_name, data in blobs.items():
            write_synced(tmp / file_name, data)
        os.replace(tmp, final)
        fsync_dir(versions)
        replace_file(index_dir / _CURRENT, (name + "\n").encode("ascii"))
    except BaseException as exc:
        # Nothing half-written may stay behind to fill the disk; the published version was
        # never touched (CURRENT is replaced last, atomically).
        for leftover in (tmp, final):
            if leftover is not None:
                shutil.rmtree(leftover, ignore_errors=True)
        if isinstance(exc, OSError):
            raise write_error(exc, index_dir) from None
        raise


def verify(index_dir: Path, version: str, manifest: Manifest) -> None:
    """Check every file of a version against the sizes and checksums in its manifest.

    Raises:
        CorruptIndexError: A file is missing, truncated or altered.
    """
    read_verified(index_dir / _VERSIONS / version, manifest.files)


def clear_leftovers(index_dir: Path) -> None:
    """Remove what a killed build left in the versions folder; called by the one build that
    holds the build lock (nobody else can be writing them)."""
    versions = index_dir / _VERSIONS
    if versions.is_dir():
        for stale in versions.glob(".tmp-*"):
            shutil.rmtree(stale, ignore_errors=True)


def _make_folder(path: Path) -> None:
    """Create ``path``; a stray file where the versions folder belongs (damage) goes."""
    if path.exists() and not path.is_dir() and path.name == _VERSIONS:
        path.unlink()
    path.mkdir(parents=True, exist_ok=True)


def _collect_garbage(index_dir: Path, keep: str) -> None:
    try:
        versions = sorted(
            (p for p in (index_dir / _VERSIONS).iterdir()
             if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: p.name,
        )
    except OSError:
        return  # old versions only cost space; the next build tries again
    old = [p for p in versions if p.name != keep]
    for stale in old[: max(0, len(old) - _KEEP_OLD)]:
        shutil.rmtree(stale, ignore_errors=True)
