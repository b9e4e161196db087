"""The article-reader seam: how a file's bytes become an article, chosen by file suffix.

A reader turns bytes into a cleaned body and the metadata the text states. Plain text and
Markdown are read by :class:`TextReader`; another format (HTML, PDF) is one more class that
passes ``tests/test_contracts.py``, registered in :data:`READERS` under its suffixes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from retrieval.reading.clean import parse_article
from retrieval.reading.files import decode
from retrieval.types import ArticleMeta

__all__ = ["READERS", "ArticleReader", "NotAnArticle", "ReadArticle", "TextReader",
           "reader_for", "suffixes"]


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


class TextReader:
    """Plain-text and Markdown news articles, scraped with their noise.

    The bytes are decoded (UTF-8, or a clearly detected legacy encoding), cleaned of scrape
    noise and read for metadata by :func:`retrieval.reading.clean.parse_article`.
    """

    def read(self, data: bytes) -> ReadArticle:
        """Decode, clean and read metadata."""
        decoded = decode(data)
        if decoded is None:
            raise NotAnArticle("not text (not UTF-8, and no other encoding fits)")
        raw, encoding = decoded
        if not raw.strip():
            raise NotAnArticle("empty")
        body, meta = parse_article(raw)
        if not body:
            raise NotAnArticle("nothing left after cleaning")
        return ReadArticle(body, meta, "" if encoding == "utf-8" else
                           f"not UTF-8; read as {encoding}")


#: The readers by file suffix (lower case, with the dot).
READERS: dict[str, ArticleReader] = {".txt": TextReader(), ".md": TextReader()}


def suffixes() -> frozenset[str]:
    """The suffixes of the files read as articles."""
    return frozenset(READERS)


def reader_for(name: str) -> ArticleReader | None:
    """The reader of a file name, by its suffix (any case), or ``None``."""
    dot = name.rfind(".")
    return READERS.get(name[dot:].lower()) if dot >= 0 else None
