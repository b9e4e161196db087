"""Which runtime embeds questions, and making the ONNX export that lets them skip torch.

``KABAR_QUERY_RUNTIME`` decides: ``auto`` (the default) answers through the ONNX export of
the model when ``kabar index`` has made one, else through torch with a one-line notice;
``onnx`` makes a missing export an error; ``torch`` never exports and never uses one.
Passages are always embedded by torch (:mod:`.embed`), which the export needs anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from retrieval.building.embed import Embedder
from retrieval.building.onnx_files import (
    EXPORTER_VERSION,
    META_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    OnnxMeta,
    failure_file,
    model_folder,
)
from retrieval.config import Settings
from retrieval.errors import KabarError, ModelLoadError

__all__ = ["ensure_export", "query_embedder"]

log = logging.getLogger(__name__)


class _Unavailable(KabarError):
    """No usable export; the message says why."""


def query_embedder(settings: Settings, get_embedder: Callable[[], Embedder]) -> Embedder:
    """The embedder for questions: the ONNX export when there is one, else torch.

    Args:
        settings: Index folder, model id, prompts and ``query_runtime``.
        get_embedder: Loads the torch embedder; called only when it is needed.

    Raises:
        ModelLoadError: ``KABAR_QUERY_RUNTIME=onnx`` and there is no usable export, or the
            torch model cannot be loaded.
    """
    if settings.query_runtime == "torch" or settings.embedding_model.startswith("hashing:"):
        return get_embedder()
    folder = model_folder(settings.index_dir, settings.embedding_model)
    try:
        meta = _usable(folder, settings.embedding_model)
    except _Unavailable as exc:
        if settings.query_runtime == "onnx":
            raise ModelLoadError(f"KABAR_QUERY_RUNTIME=onnx but {exc} — run `kabar index`, "
                                 "or set KABAR_QUERY_RUNTIME=auto") from None
        log.warning("answering with torch (slower start): %s", exc)
        return get_embedder()
    from retrieval.building.onnx_embed import OnnxEmbedder

    query, passage = settings.prompts()
    return OnnxEmbedder(folder, meta, query, passage, fallback=get_embedder)


def ensure_export(settings: Settings, get_embedder: Callable[[], Embedder]) -> None:
    """Export the model for fast questions if it is not exported yet (at index time).

    Cheap when the export is there (a few file checks). A model that cannot be exported is
    recorded with its reason and reported once as a one-line notice; questions then use
    torch. Only the torch embedder can be exported: anything else is left alone.
    """
    model_id = settings.embedding_model
    if settings.query_runtime == "torch" or model_id.startswith("hashing:"):
        return
    folder = model_folder(settings.index_dir, model_id)
    try:
        _usable(folder, model_id)
        return
    except _Unavailable:
        if _refusal(folder) is not None:
            return  # refused by this exporter before; the notice was given then
    model = getattr(get_embedder(), "sentence_transformer", None)
    if model is None:
        return
    from retrieval.building.onnx_export import ExportRefused, export

    try:
        export(model, model_id, folder)
    except OSError as exc:  # the index folder is writable (it was just built): rare
        log.warning("could not write the ONNX export (%s); questions will use torch", exc)
    except Exception as exc:  # ExportRefused, or whatever tracing a foreign model raises
        reason = str(exc) if isinstance(exc, ExportRefused) else \
            f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        _record_refusal(folder, reason)
        log.warning("questions will use torch (slower start): %s cannot be exported to "
                    "ONNX: %s", model_id, reason)
    else:
        failure_file(folder).unlink(missing_ok=True)


def _usable(folder: Path, model_id: str) -> OnnxMeta:
    """The export's meta data, after cheap checks (size, not checksum: that costs 0.2 s)."""
    reason = _refusal(folder)
    if reason is not None:
        raise _Unavailable(f"{model_id} cannot be exported to ONNX: {reason}")
    try:
        meta = OnnxMeta.from_json(_read(folder / META_FILE))
        size = (folder / MODEL_FILE).stat().st_size
        tokenizer = (folder / TOKENIZER_FILE).is_file()
    except FileNotFoundError:
        raise _Unavailable(f"{model_id} has no ONNX export yet (`kabar index` makes it)"
                           ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise _Unavailable(f"its ONNX export is damaged ({exc}); `kabar index` makes it "
                           "again") from None
    if meta.exporter != EXPORTER_VERSION or meta.model_id != model_id:
        raise _Unavailable("its ONNX export is from an older Kabar; `kabar index` makes it "
                           "again")
    if size != meta.size or not tokenizer:
        raise _Unavailable("its ONNX export is incomplete; `kabar index` makes it again")
    return meta


def _refusal(folder: Path) -> str | None:
    """Why this exporter refused the model before, or ``None`` (an older exporter's refusal
    does not count: a newer one may manage)."""
    try:
        reason, _, version = _read(failure_file(folder)).partition("\n")
    except (OSError, UnicodeDecodeError):
        return None
    return reason if version.strip() == str(EXPORTER_VERSION) else None


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _record_refusal(folder: Path, reason: str) -> None:
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        failure_file(folder).write_text(f"{reason}\n{EXPORTER_VERSION}\n", encoding="utf-8")
    except OSError:
        pass  # without the record the next build tries again; nothing else is lost
