"""What every index store keeps on the building machine: the build's lock and seeds state.

Both stores (:class:`~retrieval.store.stores.LocalStore`,
:class:`~retrieval.store.milvus_store.MilvusStore`) inherit it, so the files live in
``KABAR_INDEX_DIR`` (:mod:`retrieval.store.versions`) whichever store holds the versions.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from retrieval.store import versions

__all__ = ["LocalBuildState"]


class LocalBuildState:
    """The build's lock and seeds state, kept in ``index_dir`` on this machine whatever the
    store: every store shares this part (a Milvus store keeps only them locally)."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir

    def build_lock(self) -> contextlib.AbstractContextManager[None]:
        """The folder's ``.lock`` (one build at a time on this machine)."""
        return versions.build_lock(self.index_dir)

    def read_seeds_state(self) -> dict[str, Any] | None:
        """``seeds-state.json``: the seeds' file list of this machine's last build."""
        return versions.read_seeds_state(self.index_dir)

    def write_seeds_state(self, state: dict[str, Any]) -> None:
        """``seeds-state.json``, atomically."""
        versions.write_seeds_state(self.index_dir, state)
