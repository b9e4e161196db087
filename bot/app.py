"""The one application entry every front end uses: an up-to-date index, then an engine.

:func:`open_app` brings the index up to date when the seeds changed (or builds it when there
is none), then loads the engine. It returns the build report and any update problem for the
front end to show in its own way: the CLI prints them, the bot logs them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from retrieval import store
from retrieval.building import BuildReport, build_index, freshness
from retrieval.config import Settings
from retrieval.embedding import Embedder, load_embedder
from retrieval.embedding.runtime import ensure_export, query_embedder
from retrieval.engine import Engine
from retrieval.errors import KabarError, NoIndexError
from retrieval.text.lexicon import Lexicon

__all__ = ["App", "embedder_loader", "open_app"]


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
