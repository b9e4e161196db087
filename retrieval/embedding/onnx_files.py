"""The files of a model's ONNX export, where they live, and reading them back checked.

The export lives in the index folder, ``<index>/models/<model-key>/`` (see
:func:`model_folder`): the index folder is already where Kabar may write, a one-shot ``ask``
finds it without any other setting, every index built with the model shares one export,
and removing the index removes it too.

``meta.json`` records the size and SHA-256 of every other file of the export. Each is opened
as a regular file only, read no further than its recorded size, and its checksum compared
where it is loaded (:func:`read_export_file`, :func:`open_export_file`) and by ``kabar index``
(:func:`verify_export`): damage of the same size (NaN weights, a shifted vocabulary) is found
like a truncation, and the export is made again.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import stat
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from retrieval.errors import KabarError
from retrieval.safe_io import UnsafeFileError, open_regular, read_regular
from retrieval.store.manifest import FileSum

__all__ = ["EXPORTER_VERSION", "META_FILE", "MODEL_FILE", "TOKENIZER_FILE", "DamagedExport",
           "OnnxMeta", "check_digest", "drop", "failure_file", "file_sums", "model_folder",
           "open_export_file", "quick_check", "read_export_file", "read_meta", "verify_export"]

#: Bumped when the export's files or meaning change; an older export is made again.
#: 2: ``meta.json`` holds the checksum of every file (1 checked the model's size only).
EXPORTER_VERSION = 2
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "meta.json"
#: The files ``meta.json`` must hold a checksum of.
CHECKED_FILES = (MODEL_FILE, TOKENIZER_FILE)
#: ``meta.json`` is a few hundred bytes: anything near this is damage.
_META_MAX = 64 << 10


class DamagedExport(KabarError):
    """A file of the export is missing, not a regular file, or not what ``meta.json``
    recorded; the message names the file and what is wrong."""


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
        files: Size and SHA-256 of ``model.onnx`` and ``tokenizer.json``, checked on the
            bytes that are loaded.
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
    files: Mapping[str, FileSum] = field(default_factory=dict)
    min_cosine: float = 0.0
    exporter: int = EXPORTER_VERSION
    library: str = ""

    def to_json(self) -> str:
        """``meta.json``'s text."""
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str | bytes) -> OnnxMeta:
        """Parse ``meta.json``; raises ``ValueError``/``KeyError``/``TypeError`` if malformed
        (an older exporter's file parses, with no checksums: its ``exporter`` says so)."""
        raw = json.loads(text)
        files = {str(name): FileSum(int(f["size"]), str(f["sha256"]))
                 for name, f in dict(raw.get("files", {})).items()}
        return cls(str(raw["model_id"]), int(raw["max_seq_length"]),
                   tuple(str(n) for n in raw["input_names"]), int(raw["pad_id"]),
                   bool(raw["lower_case"]), int(raw["dim"]), files,
                   float(raw["min_cosine"]), int(raw["exporter"]), str(raw.get("library", "")))


def model_folder(index_dir: Path, model_id: str) -> Path:
    """Where the export of ``model_id`` lives: readable name plus a hash of the exact id."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_id).strip("._")[:60] or "model"
    digest = hashlib.sha256(model_id.encode("utf-8")).hexdigest()[:10]
    return index_dir / "models" / f"{safe}-{digest}"


def failure_file(folder: Path) -> Path:
    """Where a refused export's reason is kept, so later runs neither retry nor stay silent."""
    return folder.with_name(folder.name + ".refused")


def drop(folder: Path) -> None:
    """Remove an export folder, or whatever stands in its place (a link, a file)."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        folder.unlink(missing_ok=True)
    else:
        shutil.rmtree(folder, ignore_errors=True)


def read_meta(folder: Path) -> OnnxMeta:
    """The export's ``meta.json``.

    Raises:
        FileNotFoundError: There is no export.
        OSError: It is not a regular file, too large or unreadable.
        ValueError, KeyError, TypeError: It is malformed.
    """
    return OnnxMeta.from_json(read_regular(folder / META_FILE, _META_MAX))


def file_sums(folder: Path) -> dict[str, FileSum]:
    """Size and SHA-256 of the checked files in ``folder`` (for a new ``meta.json``)."""
    sums = {}
    for name in CHECKED_FILES:
        data = (folder / name).read_bytes()  # written by this process a moment ago
        sums[name] = FileSum(len(data), hashlib.sha256(data).hexdigest())
    return sums


def quick_check(folder: Path, meta: OnnxMeta) -> None:
    """Every checked file is listed, a regular file (not a link) and of its recorded size;
    cheap (no file is read), so the checksums are checked where the bytes are loaded.

    Raises:
        DamagedExport: One is not.
    """
    for name in CHECKED_FILES:
        expected = _expected(meta, name)
        try:
            info = (folder / name).lstat()
        except OSError as exc:
            raise DamagedExport(f"{name} cannot be read: {exc.strerror or exc}") from None
        if not stat.S_ISREG(info.st_mode):
            raise DamagedExport(f"{name} is not a regular file")
        if info.st_size != expected.size:
            raise DamagedExport(f"{name} has {info.st_size} bytes, not {expected.size}")


def open_export_file(folder: Path, meta: OnnxMeta, name: str) -> int:
    """A read-only descriptor of a file of the export, a regular file no larger than its
    recorded size (the caller closes it and checks the checksum).

    Raises:
        DamagedExport: It is missing, not a regular file or larger.
    """
    try:
        return open_regular(folder / name, _expected(meta, name).size)
    except UnsafeFileError as exc:
        raise DamagedExport(f"{name} is {exc.strerror}") from None
    except OSError as exc:
        raise DamagedExport(f"{name} cannot be read: {exc.strerror or exc}") from None


def read_export_file(folder: Path, meta: OnnxMeta, name: str, check: bool = True) -> bytes:
    """A file of the export, read as a regular file no further than its recorded size, and
    (``check``) its checksum compared; without, the caller must call :func:`check_digest`.

    Raises:
        DamagedExport: It is missing, not a regular file, of another size or altered.
    """
    expected = _expected(meta, name)
    try:
        data = read_regular(folder / name, expected.size)
    except UnsafeFileError as exc:
        raise DamagedExport(f"{name} is {exc.strerror}") from None
    except OSError as exc:
        raise DamagedExport(f"{name} cannot be read: {exc.strerror or exc}") from None
    if len(data) != expected.size:
        raise DamagedExport(f"{name} has {len(data)} bytes, not {expected.size}")
    if check:
        check_digest(meta, name, hashlib.sha256(data).hexdigest())
    return data


def check_digest(meta: OnnxMeta, name: str, sha256: str) -> None:
    """Raise :class:`DamagedExport` unless ``sha256`` is what ``meta.json`` recorded."""
    if sha256 != _expected(meta, name).sha256:
        raise DamagedExport(f"{name} does not match its checksum")


def verify_export(folder: Path, meta: OnnxMeta) -> None:
    """Read every checked file and compare its checksum (at index time: ~0.15 s for a
    90 MB model).

    Raises:
        DamagedExport: A file is missing, not a regular file, of another size or altered.
    """
    for name in CHECKED_FILES:
        read_export_file(folder, meta, name)


def _expected(meta: OnnxMeta, name: str) -> FileSum:
    try:
        return meta.files[name]
    except KeyError:
        raise DamagedExport(f"meta.json has no checksum of {name}") from None
