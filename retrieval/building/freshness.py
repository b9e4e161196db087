"""Whether the published index still matches the seeds folder and the settings.

The one place that decides "is the index stale?": cheaply, from the seeds folder's file list
(names, sizes, modification times) recorded at the last build, the published version and the
settings that shaped it, including which vector index holds the vectors (a switch makes
the index stale; the build republishes it from the stored sentence vectors). Nothing here
reads an article. Every function takes the store the caller opened once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from retrieval.building.assemble import chunk_recipe
from retrieval.building.chunks import CHUNKER_VERSION
from retrieval.building.state import BuildState
from retrieval.config import Settings
from retrieval.errors import KabarError
from retrieval.reading import fingerprint
from retrieval.store import IndexStore, Manifest, open_store
from retrieval.text.terms import TERMS_VERSION
from retrieval.tuning import TUNING, Tuning

__all__ = ["Freshness", "analysis_settings", "built_as_configured", "chunker_settings",
           "freshness", "record_state", "unchanged_version"]

Files = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class Freshness:
    """How the published index relates to the seeds folder.

    Attributes:
        version: The published version, or ``None`` (none yet, or damaged).
        stale: The index must be (re)built: missing, damaged, or the seeds changed.
        reason: Why it is stale, for messages ("no index yet", "the seeds changed"...).
    """

    version: str | None
    stale: bool
    reason: str = ""


def chunker_settings(settings: Settings) -> dict[str, Any]:
    """The settings that decide what is embedded; a change re-embeds everything."""
    return {"max_chars": settings.chunk_chars, "overlap": settings.chunk_overlap,
            "passage_prompt": settings.prompts()[1], "version": CHUNKER_VERSION,
            "chunk_vectors": chunk_recipe(settings.embedding_model)}


def analysis_settings(settings: Settings, tuning: Tuning = TUNING) -> dict[str, Any]:
    """The settings of the parts rebuilt on every build (BM25, term analysis, vector index).

    A change republishes the index from the stored vectors, without running the model.
    """
    return {"bm25": {"k1": tuning.bm25_k1, "b": tuning.bm25_b}, "terms": TERMS_VERSION,
            "faiss": settings.faiss_index}


def built_as_configured(manifest: Manifest, settings: Settings, store: IndexStore,
                        tuning: Tuning = TUNING) -> bool:
    """Whether the parts rebuilt on every build (BM25, terms, vector index and its kind) are
    as the settings and the store ask; if not, the build republishes from stored vectors."""
    return manifest.analysis == analysis_settings(settings, tuning) \
        and manifest.vector_backend == store.vector_index


def freshness(settings: Settings, store: IndexStore | None = None) -> Freshness:
    """Whether ``store`` (default: the one ``settings`` name) must be built or updated from
    ``settings.seeds_dir``."""
    try:
        where = store or open_store(settings)
        version = where.current_version()
    except KabarError as exc:
        return Freshness(None, True, str(exc))
    if version is None:
        return Freshness(None, True, "no index yet")
    state = BuildState(settings.index_dir).read_seeds()
    try:
        files = fingerprint(settings.seeds_dir)
    except (KabarError, OSError) as exc:  # a vanished folder: the build says what is wrong
        return Freshness(version, True, str(exc))
    if not _same_state(state, version, settings, files, where):
        return Freshness(version, True, "the seeds changed")
    return Freshness(version, False)


def unchanged_version(settings: Settings, files: Files, store: IndexStore) -> Manifest | None:
    """The published manifest when nothing can have changed since it was built, else None.

    Same files, sizes and times as at the last build, same settings and vector index, and
    every file of the version intact (a damaged file must be noticed, and repaired by a
    full build).
    """
    try:
        version = store.current_version()
        seeds = BuildState(settings.index_dir).read_seeds()
        if version is None or not _same_state(seeds, version, settings, files, store):
            return None
        manifest = store.read_manifest(version)
        store.check_compatible(manifest, settings.embedding_model)
        store.verify(version, manifest)
    except KabarError:
        return None
    if manifest.chunker != chunker_settings(settings) \
            or not built_as_configured(manifest, settings, store):
        return None
    return manifest


def record_state(settings: Settings, files: Files, version: str, store: IndexStore) -> None:
    """Remember the seeds' file list and the vector index for ``version``.

    Raises:
        IndexWriteError: It could not be written.
    """
    BuildState(settings.index_dir).write_seeds({
        "version": version, "seeds_dir": str(settings.seeds_dir.resolve()),
        "files": _jsonable(files), "vector_index": store.vector_index,
    })


def _same_state(state: dict[str, Any] | None, version: str, settings: Settings,
                files: Files, store: IndexStore) -> bool:
    # A state written before the vector index was recorded is taken as this one; the
    # build still compares the manifest's.
    return state is not None and state.get("version") == version \
        and state.get("seeds_dir") == str(settings.seeds_dir.resolve()) \
        and state.get("files") == _jsonable(files) \
        and state.get("vector_index", store.vector_index) == store.vector_index


def _jsonable(files: Files) -> dict[str, list[int]]:
    return {k: list(v) for k, v in sorted(files.items())}
