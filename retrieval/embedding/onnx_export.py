"""Exporting a sentence-transformers model to ONNX, once, at index time.

Questions are embedded by ONNX Runtime (:mod:`.onnx_embed`) so that answering never imports
torch or transformers, which was nearly all of a one-shot ``kabar ask``'s 5 s. The export
needs torch, so it runs where torch is loaded anyway: when ``kabar index`` has the model.

The whole sentence-transformers pipeline (transformer, pooling, optional Dense layers,
normalisation) is traced into one graph, so whatever pooling the model configures is
reproduced exactly rather than re-implemented. Models with other modules (CLIP, static
embeddings, custom code) or with prompt-excluding pooling are refused; the caller then keeps
using torch with a one-line notice. Every export is checked against the torch model on
probe texts before it is kept.

Where the export is kept: :mod:`.onnx_files`.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.embedding.onnx_embed import OnnxEmbedder
from retrieval.embedding.onnx_files import (
    META_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    OnnxMeta,
    drop,
    file_sums,
)
from retrieval.errors import KabarError
from retrieval.safe_io import make_folder_exclusive

__all__ = ["ExportRefused", "export"]

#: Modules whose computation the traced graph reproduces exactly.
_SUPPORTED = frozenset({"Transformer", "Pooling", "Dense", "Normalize"})
#: An export must agree with torch at least this well on the probe texts.
_MIN_COSINE = 0.999
_PROBES = ("What was agreed in Paris?", "Para pejabat Suriah dan Israel telah mengadakan "
           "perundingan di Paris.", "x", "  spaced  ", "Harga beras naik 12% pada 2024. " * 40)
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class ExportRefused(KabarError):
    """The model cannot be exported (or its export does not match torch)."""


def export(model: Any, model_id: str, dest: Path) -> OnnxMeta:
    """Trace a loaded ``SentenceTransformer`` into ``dest`` (written whole, or not at all).

    Args:
        model: The loaded sentence-transformers model.
        model_id: The configured id, recorded in the meta file.
        dest: The folder to create (from :func:`model_folder`).

    Raises:
        ExportRefused: The model has modules the graph cannot hold, has no fast tokenizer,
            or the export does not agree with torch; the message says which.
    """
    _check_supported(model)
    dest.parent.mkdir(parents=True, exist_ok=True)
    # A new folder with a random name (mkdir is exclusive): nothing planted beside the
    # export is ever written through.
    tmp = make_folder_exclusive(dest.parent, f".tmp-{dest.name}-")
    try:
        names = _trace(model, tmp / MODEL_FILE)
        _save_tokenizer(model, tmp / TOKENIZER_FILE)
        meta = _meta(model, model_id, names, tmp)
        meta = _checked(model, tmp, meta)
        (tmp / META_FILE).write_text(meta.to_json(), encoding="utf-8")
        drop(dest)
        try:
            tmp.replace(dest)
        except OSError:
            if not (dest / META_FILE).is_file():  # else another run exported it meanwhile
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return meta


def _check_supported(model: Any) -> None:
    modules = [type(m).__name__ for m in model]
    unknown = [name for name in modules if name not in _SUPPORTED]
    if unknown or not modules or modules[0] != "Transformer":
        raise ExportRefused(f"its modules {'+'.join(modules)} are not Transformer+Pooling"
                            "[+Dense][+Normalize]")
    for module in model:
        config = module.get_config_dict() if hasattr(module, "get_config_dict") else {}
        if type(module).__name__ == "Pooling" and config.get("include_prompt") is False:
            raise ExportRefused("its pooling leaves the prompt out, which the graph cannot")
    if getattr(model, "default_prompt_name", None):
        raise ExportRefused("it adds a default prompt of its own")


def _trace(model: Any, path: Path) -> list[str]:
    """Write the graph; returns its input names. The example batch must hold padding, so
    that the traced attention takes the masked path (right for unpadded input too)."""
    import torch

    prepare = getattr(model, "preprocess", None) or model.tokenize  # ST >= 6 / older
    features = prepare(["an example sentence to trace the model with", "short"])
    names = [n for n in _INPUTS if isinstance(features.get(n), torch.Tensor)]
    extra = {k: v for k, v in features.items() if k not in _INPUTS and not
             isinstance(v, torch.Tensor)}  # e.g. ST 6's "modality": "text"

    class _Whole(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            out = self.model({**dict(zip(names, tensors, strict=True)), **extra})
            return out["sentence_embedding"]

    axes = {n: {0: "batch", 1: "sequence"} for n in names} | {"sentence_embedding": {0: "batch"}}
    with torch.no_grad(), _quiet_warnings():
        torch.onnx.export(_Whole().eval(), tuple(features[n] for n in names), str(path),
                          input_names=names, output_names=["sentence_embedding"],
                          dynamic_axes=axes, opset_version=17, do_constant_folding=True,
                          dynamo=False)  # TorchScript exporter: no onnxscript, dynamic axes
    return names


@contextlib.contextmanager
def _quiet_warnings() -> Iterator[None]:
    """The TorchScript exporter warns about its deprecation and about traced branches."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _save_tokenizer(model: Any, path: Path) -> None:
    tokenizer = model.tokenizer
    backend = getattr(tokenizer, "backend_tokenizer", None) or getattr(tokenizer, "_tokenizer",
                                                                          None)
    if backend is None or not hasattr(backend, "save"):
        raise ExportRefused("it has no fast tokenizer to run without transformers")
    backend.save(str(path))


def _meta(model: Any, model_id: str, names: list[str], folder: Path) -> OnnxMeta:
    import sentence_transformers

    tokenizer = model.tokenizer
    dim = model.get_embedding_dimension() if hasattr(model, "get_embedding_dimension") \
        else model.get_sentence_embedding_dimension()
    return OnnxMeta(
        model_id=model_id, max_seq_length=int(model.max_seq_length), input_names=tuple(names),
        pad_id=int(tokenizer.pad_token_id or 0),
        lower_case=bool(getattr(model[0], "do_lower_case", False)), dim=int(dim),
        files=file_sums(folder), library=sentence_transformers.__version__)


def _checked(model: Any, folder: Path, meta: OnnxMeta) -> OnnxMeta:
    """Compare the export with torch on the probe texts (long, short, odd spacing)."""
    try:
        onnx = OnnxEmbedder(folder, meta).encode_passages(list(_PROBES))
    except Exception as exc:  # ORT rejects a graph with many error types
        raise ExportRefused(f"ONNX Runtime cannot run the export ({exc})") from None
    torch_vectors = np.asarray(model.encode(list(_PROBES), convert_to_numpy=True,
                                            normalize_embeddings=True), dtype=np.float32)
    cosine = float(np.min(np.sum(onnx * torch_vectors, axis=1)))
    if not cosine >= _MIN_COSINE:
        raise ExportRefused(f"the export disagrees with torch (cosine {cosine:.4f})")
    return OnnxMeta(**{**asdict(meta), "min_cosine": round(cosine, 6)})
