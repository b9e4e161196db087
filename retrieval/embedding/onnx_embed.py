"""Embedding with an exported model: ``tokenizers`` + ONNX Runtime + numpy, no torch.

Importing torch and transformers was nearly all of a one-shot question's time; this
embedder needs neither (``tests/e2e/test_speed.py`` checks ``sys.modules``). It reads the
folder :func:`retrieval.embedding.onnx_export.export` wrote. The ONNX Runtime session is
created at the first question, so an engine that is never asked costs nothing. (Creating it
on a background thread was tried: it holds the interpreter lock for most of its ~0.2 s and
made a one-shot question slower, not faster.) Both files are opened as regular files bounded
by their recorded sizes and their checksums compared (the tokenizer's on the bytes parsed,
the model's on the same open file ONNX Runtime reads, while it reads it; :mod:`.onnx_files`):
a damaged export falls back to torch with a one-line notice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from retrieval.embedding.onnx_files import (
    META_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    DamagedExport,
    OnnxMeta,
    check_digest,
    open_export_file,
    read_export_file,
)
from retrieval.errors import ModelLoadError
from retrieval.safe_io import sha256_of

if TYPE_CHECKING:
    from retrieval.embedding.embed import Embedder

__all__ = ["OnnxEmbedder"]

log = logging.getLogger(__name__)

#: Texts per forward pass; sorted by length first, so batches hold little padding.
_BATCH = 32


class OnnxEmbedder:
    """The exported model behind the :class:`~retrieval.embedding.embed.Embedder` interface.

    Args:
        folder: The export folder (``model.onnx``, ``tokenizer.json``).
        meta: Its parsed ``meta.json``.
        query_prompt: Text put before each question.
        passage_prompt: Text put before each passage.
        fallback: Returns the torch embedder to use if the session cannot be created
            after all (a damaged file); ``None`` makes that an error.

    Raises:
        DamagedExport: ``tokenizer.json`` is not what ``meta.json`` recorded.
        threads: Intra-op threads. 1 suits questions: for one short text a second thread
            costs more than it saves on a shared machine; 0 lets ONNX Runtime use every
            core (bulk embedding).
    """

    def __init__(self, folder: Path, meta: OnnxMeta, query_prompt: str = "",
                 passage_prompt: str = "",
                 fallback: Callable[[], Embedder] | None = None, threads: int = 1) -> None:
        from tokenizers import Tokenizer

        self._meta = meta
        self._prompts = (query_prompt, passage_prompt)
        self._fallback = fallback
        # Checked bytes, not the path: a tokenizer.json of the same size with a shifted
        # vocabulary would change every question's vector without a word.
        data = read_export_file(folder, meta, TOKENIZER_FILE)
        try:
            self._tokenizer = Tokenizer.from_str(data.decode("utf-8"))
        except Exception as exc:  # tokenizers raises a bare Exception for what it rejects
            raise DamagedExport(f"{TOKENIZER_FILE} cannot be parsed "
                                f"({str(exc).splitlines()[0] if str(exc) else exc!r})") from None
        # A model's tokenizer.json carries its own truncation and padding (MiniLM's: 128
        # tokens, padded to 128); sentence-transformers uses max_seq_length and pads per
        # batch, so this must too, or long texts are cut short and short ones padded out.
        self._tokenizer.enable_truncation(max_length=meta.max_seq_length)
        self._tokenizer.no_padding()
        self._path = folder / MODEL_FILE
        self._threads = threads
        self._session: Any = None
        self._replacement: Embedder | None = None
        self._lock = threading.Lock()  # the bot asks from several threads

    @property
    def model_id(self) -> str:
        """The configured model id the export was made from."""
        return self._meta.model_id

    @property
    def dim(self) -> int:
        """The embedding dimension."""
        return self._meta.dim

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages (with the passage prompt)."""
        return self._encode([self._prompts[1] + t for t in texts], passages=True)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions (with the query prompt)."""
        return self._encode([self._prompts[0] + t for t in texts], passages=False)

    def _run_session(self) -> Any:
        """The session (made on first use), or ``None`` once torch has taken over."""
        if self._session is not None or self._replacement is not None:
            return self._session
        with self._lock:
            if self._session is None and self._replacement is None:
                self._open()
        return self._session

    def _open(self) -> None:
        try:
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.inter_op_num_threads = 1  # one graph at a time
            options.intra_op_num_threads = self._threads
            options.log_severity_level = 3
            self._session = _checked_session(ort, self._path, self._meta, options)
        except Exception as exc:  # ORT raises several types for a damaged or foreign file
            if self._fallback is None:
                raise ModelLoadError(
                    f"the ONNX export of {self.model_id!r} cannot be loaded ({exc}) — delete "
                    f"{self._path.parent} and run `kabar index`, or set "
                    "KABAR_QUERY_RUNTIME=torch") from None
            log.warning("answering with torch (slower start): the ONNX export cannot be "
                        "loaded (%s); `kabar index` makes it again",
                        str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
            # Without its meta file the export counts as missing, so the next build makes
            # it again (a read-only index folder just keeps the notice).
            with contextlib.suppress(OSError):
                (self._path.parent / META_FILE).unlink()
            self._replacement = self._fallback()

    def _encode(self, texts: list[str], passages: bool) -> np.ndarray:
        session = self._run_session()
        if session is None:
            assert self._replacement is not None
            # The prompts were added above; the replacement adds its own.
            return (self._replacement.encode_passages if passages
                    else self._replacement.encode_queries)(
                [t[len(self._prompts[1 if passages else 0]):] for t in texts])
        out = np.zeros((len(texts), self._meta.dim), dtype=np.float32)
        if not texts:
            return out
        if self._meta.lower_case:  # older sentence-transformers lower-cased before tokenising
            texts = [t.lower() for t in texts]
        encodings = self._tokenizer.encode_batch(texts)
        # Longest first: batches of similar length waste no work on padding (2-2.5x).
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), _BATCH):
            rows = order[start:start + _BATCH]
            out[rows] = self._forward(session, [encodings[i] for i in rows])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1.0
        return out / norms

    def _forward(self, session: Any, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        shape = (len(encodings), width)
        # The graph takes int64 (int32 is rejected).
        feed = {"input_ids": np.full(shape, self._meta.pad_id, dtype=np.int64),
                "attention_mask": np.zeros(shape, dtype=np.int64),
                "token_type_ids": np.zeros(shape, dtype=np.int64)}
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            feed["input_ids"][row, :n] = enc.ids
            feed["attention_mask"][row, :n] = 1
            feed["token_type_ids"][row, :n] = enc.type_ids
        wanted = {name: feed[name] for name in self._meta.input_names}
        return np.asarray(session.run(["sentence_embedding"], wanted)[0], dtype=np.float32)


def _checked_session(ort: Any, path: Path, meta: OnnxMeta, options: Any) -> Any:
    """A session of the model whose bytes match the checksum ``meta.json`` recorded (else
    :class:`DamagedExport`), and which is a regular file (no FIFO, device or link).

    The file is opened once, checked to be regular, and both ONNX Runtime (through
    ``/proc/self/fd``: the same file, whatever is renamed meanwhile) and a second thread,
    which hashes it a block at a time, read that one open file; hashlib and ONNX Runtime
    release the interpreter lock, so the check costs ~0.07 s of CPU and little time.
    Without ``/proc`` the bytes are read once, hashed, and given to ONNX Runtime.
    """
    size = meta.files[MODEL_FILE].size if MODEL_FILE in meta.files else 0
    fd = open_export_file(path.parent, meta, MODEL_FILE)
    try:
        source = f"/proc/self/fd/{fd}"
        if not os.path.exists(source):
            data = read_export_file(path.parent, meta, MODEL_FILE)
            return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        hashed: list[tuple[str, int] | OSError] = []
        hasher = threading.Thread(target=_hash_into, args=(fd, size, hashed),
                                  name="kabar-onnx-sha256", daemon=True)
        hasher.start()
        try:
            session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        finally:
            hasher.join()
    finally:
        os.close(fd)
    result = hashed[0] if hashed else OSError("not read")
    if isinstance(result, OSError):
        raise DamagedExport(f"{MODEL_FILE} cannot be read: {result.strerror or result}")
    if result[1] != size:
        raise DamagedExport(f"{MODEL_FILE} has {result[1]} bytes, not {size}")
    check_digest(meta, MODEL_FILE, result[0])
    return session


def _hash_into(fd: int, size: int, out: list[tuple[str, int] | OSError]) -> None:
    try:
        out.append(sha256_of(fd, size))
    except OSError as exc:
        out.append(exc)
