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
    """Reads one kind of article file."""

    def read(self, data: bytes) -> ReadArticle:
        """The article in ``data`` (a whole file, possibly cut at the size cap).

        Raises:
            NotAnArticle: No usable article; the message is the reason.
        """
        ...
