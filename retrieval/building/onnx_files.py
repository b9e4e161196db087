"""The files of a model's ONNX export, and where they live.

The export lives in the index folder, ``<index>/models/<model-key>/`` (see
:func:`model_folder`): the index folder is already where Kabar may write, a one-shot ``ask``
finds it without any other setting, every index built with the model shares one export,
and removing the index removes it too.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["EXPORTER_VERSION", "META_FILE", "MODEL_FILE", "TOKENIZER_FILE", "OnnxMeta",
           "failure_file", "model_folder"]

#: Bumped when the export's files or meaning change; an older export is made again.
EXPORTER_VERSION = 1
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "meta.json"


@dataclass(frozen=True)
class OnnxMeta:
    """What the query runtime needs besides the graph and the tokenizer.

    Attributes:
        model_id: The configured model id the export was made from.
        max_seq_length: Tokens per text (sentence-transformers', not the tokenizer's own).
        input_names: The graph's inputs, in order (``token_type_ids`` is model dependent).
        pad_id: The padding token id.
        lower_case: Whether sentence-transformers lower-cases texts before tokenising.
        dim: The embedding dimension.
        size: Size of ``model.onnx`` in bytes (checked on load; cheap, unlike a checksum).
        sha256: SHA-256 of ``model.onnx`` (for audits; too slow to check per question).
        min_cosine: The worst agreement with torch on the probe texts.
        exporter: :data:`EXPORTER_VERSION` at export time.
        library: The sentence-transformers version that traced it.
    """

    model_id: str
    max_seq_length: int
    input_names: tuple[str, ...]
    pad_id: int
    lower_case: bool
    dim: int
    size: int = 0
    sha256: str = ""
    min_cosine: float = 0.0
    exporter: int = EXPORTER_VERSION
    library: str = ""

    def to_json(self) -> str:
        """``meta.json``'s text."""
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> OnnxMeta:
        """Parse ``meta.json``; raises ``ValueError``/``KeyError``/``TypeError`` if malformed."""
        raw = json.loads(text)
        return cls(str(raw["model_id"]), int(raw["max_seq_length"]),
                   tuple(str(n) for n in raw["input_names"]), int(raw["pad_id"]),
                   bool(raw["lower_case"]), int(raw["dim"]), int(raw["size"]),
                   str(raw["sha256"]), float(raw["min_cosine"]), int(raw["exporter"]),
                   str(raw.get("library", "")))


def model_folder(index_dir: Path, model_id: str) -> Path:
    """Where the export of ``model_id`` lives: readable name plus a hash of the exact id."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_id).strip("._")[:60] or "model"
    digest = hashlib.sha256(model_id.encode("utf-8")).hexdigest()[:10]
    return index_dir / "models" / f"{safe}-{digest}"


def failure_file(folder: Path) -> Path:
    """Where a refused export's reason is kept, so later runs neither retry nor stay silent."""
    return folder.with_name(folder.name + ".refused")
