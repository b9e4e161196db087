"""The incremental indexer: seeds folder -> cleaned articles -> index version -> published.

Builds are incremental: articles whose content hash is unchanged keep their sentence vectors
from the published version, so only added and changed articles go through the model. A
change of model, chunker settings or index format rebuilds everything; a change of BM25,
term analysis or of the vector index (``KABAR_VECTOR_INDEX``, ``KABAR_FAISS_INDEX``)
republishes from the stored sentence vectors, without running the model.

The store is opened once by the caller and handed on (or opened here, once).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from retrieval.building.assemble import Assembled, assemble, chunk_recipe, resolve_kind
from retrieval.building.freshness import (
    Files,
    analysis_settings,
    built_as_configured,
    chunker_settings,
    record_state,
    unchanged_version,
)
from retrieval.building.progress import BuildProgress, announce_loading, progress_for
from retrieval.building.state import BuildState
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder
from retrieval.embedding.runtime import ensure_export
from retrieval.errors import CorruptIndexError, IndexMismatchError, KabarError, NoIndexError
from retrieval.reading import Corpus, fingerprint, read_corpus
from retrieval.store import IndexData, IndexStore, Manifest, open_store
from retrieval.tuning import TUNING, Tuning

__all__ = ["BuildReport", "build_index"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BuildReport:
    """What one ``kabar index`` run did.

    Attributes:
        added: Articles new since the published version.
        updated: Articles whose content changed.
        removed: Articles no longer in the seeds.
        unchanged: Articles carried over as they were.
        chunks: Chunks in the index now.
        chunks_embedded: Chunks of added and updated articles (the ones that were embedded).
        sentences_embedded: Sentences run through the model.
        seconds: Wall time of the run.
        version: The published version after the run.
        full: Whether everything was rebuilt.
        reason: Why a full rebuild happened, or "".
        skipped: Files skipped, each as "path: reason".
        published: Whether this run published a new version.
        notes: Warnings about files that were read (cut at the size cap, or not UTF-8),
            each as "path: message".
    """

    added: int
    updated: int
    removed: int
    unchanged: int
    chunks: int
    chunks_embedded: int
    sentences_embedded: int
    seconds: float
    version: str
    full: bool
    reason: str = ""
    skipped: tuple[str, ...] = field(default=())
    published: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        """Whether this run published a new version."""
        return self.published


@dataclass(frozen=True)
class _Diff:
    added: int
    updated: int
    removed: int
    unchanged: int


def build_index(settings: Settings, get_embedder: Callable[[], Embedder], full: bool = False,
                progress: bool | BuildProgress = False, tuning: Tuning = TUNING,
                store: IndexStore | None = None) -> BuildReport:
    """Bring the index in ``settings.index_dir`` up to date with ``settings.seeds_dir``.

    Args:
        settings: Seeds and index folders, model id, chunker and vector-index settings.
        get_embedder: Returns the embedder; only called when something must be embedded,
            so a no-op run never loads the model.
        full: Rebuild everything, ignoring the published version.
        progress: ``True`` draws the files read, sentences embedded, rate and ETA on stderr
            (for terminals), or pass a :class:`BuildProgress` to receive them.
        tuning: BM25's k1 and b are read from here.
        store: The store the caller opened (default: the one ``settings`` name, opened
            here); it decides the vector index new versions are published with.

    Raises:
        SeedsError: The seeds folder is missing or holds no readable article.
        ModelLoadError: The model cannot be loaded.
        IndexWriteError: The index could not be written (the published one is kept).
    """
    started = time.perf_counter()
    files = fingerprint(settings.seeds_dir)
    store = store or open_store(settings)
    with BuildState(settings.index_dir).lock() as waited, store.building(waited):
        manifest = None if full else unchanged_version(settings, files, store)
        if manifest is not None:
            # Same files, sizes and times as the last build, same settings: a no-op that
            # reads neither the articles nor the index.
            ensure_export(settings, get_embedder)
            return BuildReport(0, 0, 0, manifest.counts.get("articles", 0),
                               manifest.counts.get("chunks", 0), 0, 0,
                               time.perf_counter() - started, manifest.version, False)
        prev, reason = (None, "--full") if full else _previous(settings, store)
        shown = progress_for(progress)
        try:
            corpus = read_corpus(settings.seeds_dir, settings.max_file_bytes, shown.files)
            report = _update(settings, store, corpus, prev, files,
                             announce_loading(get_embedder, shown), shown, tuning)
        finally:
            shown.close()
        # Questions run on the export (no torch); made once, while the model is loaded.
        ensure_export(settings, get_embedder)
    return dataclasses.replace(report, seconds=time.perf_counter() - started,
                               reason=reason if report.full else "")


def _update(settings: Settings, store: IndexStore, corpus: Corpus, prev: IndexData | None,
            files: Files, get_embedder: Callable[[], Embedder], progress: BuildProgress,
            tuning: Tuning) -> BuildReport:
    """Publish a new version when the articles, the settings or the vector index changed."""
    skipped = tuple(f"{s.path}: {s.reason}" for s in corpus.skipped)
    notes = tuple(f"{s.path}: {s.reason}" for s in corpus.notes)
    diff = _diff(corpus, prev)
    if prev is not None and not (diff.added or diff.updated or diff.removed):
        # Contents are the same (files were touched or re-saved): keep the version.
        _record(settings, files, prev.version, store)
        paths = {a.doc_id: a.paths for a in prev.articles}
        same_paths = all(paths[a.doc_id] == a.paths for a in corpus.articles)
        if same_paths and built_as_configured(prev.manifest, settings, store, tuning):
            return BuildReport(0, 0, 0, diff.unchanged, prev.num_chunks, 0, 0, 0.0,
                               prev.version, False, skipped=skipped, notes=notes)
    result = assemble(corpus.articles, prev, get_embedder, max_chars=settings.chunk_chars,
                      overlap=settings.chunk_overlap, bm25_k1=tuning.bm25_k1,
                      bm25_b=tuning.bm25_b, progress=progress,
                      # The recipe the manifest records for this setting (freshness.py).
                      recipe=chunk_recipe(settings.embedding_model))
    version = store.write_version(
        _manifest(settings, store, result, tuning), result.articles, result.layout,
        result.sentence_vectors, result.chunk_vectors, result.bm25)
    _record(settings, files, version, store)
    return BuildReport(diff.added, diff.updated, diff.removed, diff.unchanged,
                       result.num_chunks, result.chunks_embedded, result.sentences_embedded,
                       0.0, version, prev is None, skipped=skipped, published=True,
                       notes=notes)


def _diff(corpus: Corpus, prev: IndexData | None) -> _Diff:
    old = {a.doc_id: a.content_hash for a in prev.articles} if prev is not None else {}
    new = {a.doc_id for a in corpus.articles}
    added = sum(a.doc_id not in old for a in corpus.articles)
    updated = sum(a.doc_id in old and old[a.doc_id] != a.content_hash for a in corpus.articles)
    removed = sum(d not in new for d in old)
    return _Diff(added, updated, removed, len(corpus.articles) - added - updated)


def _previous(settings: Settings, store: IndexStore) -> tuple[IndexData | None, str]:
    """The published version if it can be extended, else ``None`` and why not."""
    try:
        prev = store.load(model_id=settings.embedding_model)
    except NoIndexError:
        return None, "no index yet"
    except IndexMismatchError as exc:
        log.warning("rebuilding everything: %s", exc)
        return None, "model or format changed"
    except CorruptIndexError as exc:
        log.warning("rebuilding everything: %s", exc)
        return None, "previous index unreadable"
    if prev.manifest.chunker != chunker_settings(settings):
        return None, "chunker settings changed"
    return prev, ""


def _manifest(settings: Settings, store: IndexStore, result: Assembled, tuning: Tuning
              ) -> Manifest:
    """The new version's manifest: what it was built with, including the one decision of
    which vector index (the store's) and which kind hold the chunk vectors."""
    dates = [a.meta.date for a in result.articles if a.meta.date]
    query_prompt, passage_prompt = settings.prompts()
    return Manifest(
        model=settings.embedding_model, dim=result.dim, query_prompt=query_prompt,
        passage_prompt=passage_prompt, chunker=chunker_settings(settings),
        analysis=analysis_settings(settings, tuning), vector_backend=store.vector_index,
        vector_kind=resolve_kind(settings.faiss_index, result.num_chunks),
        articles={a.doc_id: a.content_hash for a in result.articles},
        counts={"articles": len(result.articles), "chunks": result.num_chunks,
                "sentences": len(result.layout.sent_start)},
        newest_date=max(dates) if dates else None,
    )


def _record(settings: Settings, files: Files, version: str, store: IndexStore) -> None:
    """Remember the seeds' file list; without it the next run reads the articles again."""
    try:
        record_state(settings, files, version, store)
    except KabarError as exc:  # the version is published; only the shortcut is lost
        log.warning("%s", exc)
