"""The one application entry every front end uses, and their only door to the stages.

:func:`open_app` brings the index up to date when the seeds changed (or builds it when there
is none), then loads the engine. It returns the build report and any update problem for the
front end to show in its own way: the CLI prints them, the bot logs them. :func:`build`,
:func:`watch_seeds` and :func:`index_status` are ``kabar index``, ``--watch`` and ``kabar
status``.

Nothing else under ``bot/`` imports a stage package (reading, building, store, search,
answering, embedding, text; import-linter checks it): the CLI, the REPL, the bot and their
formatting use this module, the engine and the shared types. What they need from a stage is
re-exported here (:func:`describe_date`, :class:`BuildReport`), so
when a stage moves a module, this is the one import to change.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from retrieval import building, store
from retrieval.answering import AnswerWriter, writer_for
from retrieval.answering.common.when import describe_date
from retrieval.building import BuildReport, build_index, freshness
from retrieval.config import Settings
from retrieval.embedding import Embedder, load_embedder
from retrieval.embedding.runtime import ensure_export, query_embedder
from retrieval.engine import Engine
from retrieval.errors import KabarError, NoIndexError
from retrieval.reading import fingerprint, formats
from retrieval.store import IndexStore
from retrieval.text.lexicon import Lexicon
from retrieval.types import IndexInfo

__all__ = ["App", "BuildReport", "IndexStatus", "SeedsSnapshot", "article_formats", "build",
           "describe_date", "embedder_loader", "index_status", "open_app", "open_index",
           "plain_writer", "published_version", "seeds_snapshot", "watch_seeds"]

#: The seeds folder's state as the watch compares it (names, sizes, modification times).
SeedsSnapshot: TypeAlias = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class App:
    """An engine ready to answer, and what was done to get it ready.

    Attributes:
        engine: Answers from the published index.
        report: The update that ran first, or ``None`` when none was needed or asked for.
        update_error: Why the index could not be updated (the existing one is used), or "".
    """

    engine: Engine
    report: BuildReport | None = None
    update_error: str = ""


def article_formats() -> str:
    """The article formats the seeds folder is read in (``".txt, .md, .html or .htm"``), named
    from the reader registry, for help texts."""
    return formats()


def plain_writer(settings: Settings) -> AnswerWriter:
    """The writer ``KABAR_ANSWER_WRITER`` names, without the LLM: what the LLM writer falls
    back to, and what the bot answers with at once when its LLM threads are all busy."""
    return writer_for(settings.replace(llm_url=""))


def embedder_loader(settings: Settings) -> Callable[[], Embedder]:
    """Load the model at most once per process, and only when it is needed."""
    return functools.cache(lambda: load_embedder(settings))


def open_app(settings: Settings, update: bool = True, progress: bool = False) -> App:
    """Bring the index up to date when asked to (and needed), then load the engine.

    Args:
        settings: The settings.
        update: Update the index first when the seeds changed; ``False`` never writes.
        progress: Show the build's progress (on a terminal).

    Raises:
        NoIndexError: There is no index and none could be built.
        KabarError: The index could not be built or loaded; the message names the fix.
    """
    get_embedder = embedder_loader(settings)
    # The store is opened once here and handed to the build, freshness and the engine.
    index = store.open_store(settings)
    state = freshness(settings, index)
    report, problem = None, ""
    if update and state.stale:
        try:
            report = build_index(settings, get_embedder, progress=progress, store=index)
        except KabarError as exc:
            if freshness(settings, index).version is None:
                raise
            # The seeds cannot be read or the index written right now, but the published
            # index still works.
            problem = str(exc)
    elif state.version is None:
        index.current_version()  # raises what is damaged, if anything
        raise NoIndexError(f"no index at {settings.index_dir}/ — run `kabar index`")
    if update and not problem:
        # An index built before questions had an ONNX export gets one now, once. Its
        # checksums are compared where the model is loaded (`kabar index` compares them here).
        ensure_export(settings, get_embedder, verify=False)
    # The query side starts loading here (ONNX on a thread) while the lexicon loads.
    encoder = query_embedder(settings, get_embedder)
    return App(Engine(settings, encoder, Lexicon.load(), store=index), report, problem)


def open_index(settings: Settings) -> IndexStore:
    """The store the settings name, opened once for a command and handed to
    :func:`build`, :func:`published_version` and the engine."""
    return store.open_store(settings)


def build(settings: Settings, get_embedder: Callable[[], Embedder], full: bool = False,
          progress: bool = False, index: IndexStore | None = None) -> BuildReport:
    """``kabar index``: bring the index up to date with the seeds (everything when ``full``).

    Args:
        settings: The settings.
        get_embedder: Loads the model when a text must be embedded (:func:`embedder_loader`:
            a watch's rebuilds share one model).
        full: Rebuild every article, not only what changed.
        progress: Show the build's progress (on a terminal).
        index: The store, opened once by :func:`open_index` (opened here when ``None``).
    """
    return build_index(settings, get_embedder, full=full, progress=progress, store=index)


def seeds_snapshot(settings: Settings) -> SeedsSnapshot:
    """The seeds folder's state now; taken before a build, it lets :func:`watch_seeds` pick
    up what was saved while that build ran."""
    return fingerprint(settings.seeds_dir)


def watch_seeds(settings: Settings, rebuild: Callable[[], None],
                initial: SeedsSnapshot | None = None) -> None:
    """``kabar index --watch``: call ``rebuild`` whenever the seeds folder changed and then
    stayed still, until Ctrl-C (:func:`retrieval.building.watch`)."""
    # Looked up when called, so that a test can slow the watch down for its own timing.
    building.watch(settings.seeds_dir, rebuild, initial=initial)


def published_version(index: IndexStore) -> str | None:
    """The published index version, or ``None`` when nothing was ever published."""
    return index.current_version()


@dataclass(frozen=True)
class IndexStatus:
    """``kabar status``: what the published index holds and whether the seeds changed.

    Attributes:
        info: What the index holds (every part verified by loading it).
        store: Where versions live: ``"faiss"`` (a folder) or ``"milvus"``.
        where: The index folder, or ``Milvus <uri>`` (the URI may hold credentials: redact
            it before showing it).
        seeds_dir: The seeds folder.
        seeds_changed: Whether the seeds changed since the last build.
        vector_index: The vector index the published version holds its vectors in
            (``"faiss"``, ``"milvus"``, a registered one).
        vector_kind: Its kind: ``"flat"`` or ``"hnsw"``.
        milvus_mode: How Milvus searches it: ``"hybrid"`` (dense and BM25 sparse vectors
            in Milvus), ``"dense"`` (a server without sparse vectors: BM25 beside it, in
            this process), ``""`` for other stores.
        milvus_mode_text: The same, said in words.
    """

    info: IndexInfo
    store: str
    where: str
    seeds_dir: str
    seeds_changed: bool
    vector_index: str
    vector_kind: str
    milvus_mode: str = ""
    milvus_mode_text: str = ""


def index_status(settings: Settings) -> IndexStatus:
    """Load the published index (verifying it) and compare the seeds with its build.

    Raises:
        NoIndexError, CorruptIndexError, IndexMismatchError: as loading the index does.
    """
    index = store.open_store(settings)
    data = index.load()  # load() verifies every part
    changed = freshness(settings, index).stale
    # The local store is its folder; Milvus is named with its URI and collection.
    where = index.where if index.name == "faiss" else f"Milvus {index.where}"
    # Both axes: the store above, and the vector index the published version is held in.
    return IndexStatus(data.info(), index.name, where, str(settings.seeds_dir), changed,
                       data.manifest.vector_backend, data.manifest.vector_kind,
                       getattr(data.vectors, "mode", ""), getattr(data.vectors, "search_mode", ""))
