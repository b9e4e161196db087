"""The article-reader seam: how a file's bytes become an article, chosen by file suffix.

A reader turns bytes into a cleaned body and the metadata the text states. Plain text and
Markdown are read by :class:`TextReader`, HTML pages by :class:`HtmlReader`. A new format is
one class in ``retrieval/reading/<fmt>.py`` and one :data:`READERS` line; it passes the reader
contract (``tests/contracts/test_contracts.py``) on its own
``tests/data/readers/sample<suffix>``, and says whether a file over the size cap may be cut
(``cuttable``). Everything that names the formats (the folder listing, error messages,
``--help``) is derived from :data:`READERS` (:func:`suffixes`, :func:`formats`);
``tests/reading/test_reader_docx.py`` is the worked example.
"""

from __future__ import annotations

from retrieval.reading.clean import parse_article
from retrieval.reading.files import decode, kinds
from retrieval.reading.html import HtmlReader, looks_like_html, read_html
from retrieval.reading.reader import ArticleReader, NotAnArticle, ReadArticle

__all__ = ["READERS", "ArticleReader", "HtmlReader", "NotAnArticle", "ReadArticle",
           "TextReader", "formats", "reader_for", "suffixes"]


class TextReader:
    """Plain-text and Markdown news articles, scraped with their noise.

    The bytes are decoded (UTF-8, or a clearly detected legacy encoding), cleaned of scrape
    noise and read for metadata by :func:`retrieval.reading.clean.parse_article`. A ``.txt``
    file that holds an HTML page goes through the HTML reader instead.
    """

    #: Text read up to a line end is still an article: a long file is cut at the size cap.
    cuttable = True

    def read(self, data: bytes) -> ReadArticle:
        """Decode, clean and read metadata."""
        decoded = decode(data)
        if decoded is None:
            raise NotAnArticle("not text (not UTF-8, and no other encoding fits)")
        raw, encoding = decoded
        if not raw.strip():
            raise NotAnArticle("empty")
        if looks_like_html(raw):
            found = read_html(raw)
            note = "" if encoding == "utf-8" else f"not UTF-8; read as {encoding}"
            return ReadArticle(found.body, found.meta, note)
        body, meta = parse_article(raw)
        if not body:
            raise NotAnArticle("nothing left after cleaning")
        return ReadArticle(body, meta, "" if encoding == "utf-8" else
                           f"not UTF-8; read as {encoding}")


#: The readers by file suffix (lower case, with the dot), in the order messages name them.
READERS: dict[str, ArticleReader] = {
    ".txt": TextReader(),
    ".md": TextReader(),
    ".html": HtmlReader(),
    ".htm": HtmlReader(),
}


def suffixes() -> tuple[str, ...]:
    """The suffixes of the files read as articles, in registry order."""
    return tuple(READERS)


def formats() -> str:
    """The formats read, for messages and help texts: ``".txt, .md, .html or .htm"``."""
    return kinds(suffixes())


def reader_for(name: str) -> ArticleReader | None:
    """The reader of a file name, by its suffix (any case), or ``None``."""
    dot = name.rfind(".")
    return READERS.get(name[dot:].lower()) if dot >= 0 else None
