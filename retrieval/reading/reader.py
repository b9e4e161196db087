"""The article-reader seam: what a reader of one kind of file returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from retrieval.types import ArticleMeta

__all__ = ["ArticleReader", "NotAnArticle", "ReadArticle"]


class NotAnArticle(Exception):
    """The file holds no usable article; the message says why (shown with the file name)."""


@dataclass(frozen=True)
class ReadArticle:
    """What a reader found in a file.

    Attributes:
        body: The cleaned text, paragraphs joined by a blank line.
        meta: Title, outlet, place and date, as far as the text states them.
        note: A warning worth showing even though the file was read ("read as cp1252").
    """

    body: str
    meta: ArticleMeta
    note: str = ""


class ArticleReader(Protocol):
    """Reads one kind of article file.

    A reader is registered in :data:`retrieval.reading.readers.READERS` under its suffixes and
    passes the reader contract in ``tests/contracts/test_contracts.py`` on its own sample file,
    ``tests/data/readers/sample<suffix>``.
    """

    @property
    def cuttable(self) -> bool:
        """Whether a file over the size cap may be read cut at a line end.

        True for text formats, where the first megabytes are a readable article. A packed
        format (a zip such as ``.docx``, a PDF) says False: cut short it is no longer a file
        of its kind, so one over the cap is skipped whole, with a notice naming
        ``KABAR_MAX_FILE_MB``.
        """
        ...

    def read(self, data: bytes) -> ReadArticle:
        """The article in ``data``: a whole file, or its start cut at a line end when the
        reader is :attr:`cuttable` and the file is over the size cap.

        Raises:
            NotAnArticle: No usable article; the message is the reason.
        """
        ...
