"""News pages saved as HTML: the article's text and metadata, through a real HTML parser.

trafilatura (lxml underneath) finds the main text of a news page and leaves out navigation,
related-story boxes, scripts and footers, and reads the headline, date and site name from the
page's markup. Its text then goes through the same cleaning as a plain-text article, so the
scrape-noise rules still apply. A page trafilatura finds no article in (a fragment, a bare
list of paragraphs) is turned into text by lxml alone.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from retrieval.reading.clean import parse_article
from retrieval.reading.files import decode
from retrieval.reading.reader import NotAnArticle, ReadArticle

__all__ = ["HtmlReader", "looks_like_html"]

# Markup that gives a text file away as HTML: a doctype or an <html> element at the start,
# or several paragraph-level tags.
_HTML_START = re.compile(r"\A\s*(?:<!doctype\s+html|<html[\s>]|<\?xml[^>]*>\s*<html)", re.I)
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|article|h[1-6]|li|span|a\s+href)\b[^>]*>", re.I)
_MIN_BLOCK_TAGS = 3
_DATE_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def looks_like_html(text: str) -> bool:
    """Whether text read from a ``.txt`` file is really an HTML page (or fragment)."""
    head = text[:20_000]
    return bool(_HTML_START.match(head)) or len(_BLOCK_TAG.findall(head)) >= _MIN_BLOCK_TAGS


class HtmlReader:
    """HTML news pages (``.html``, ``.htm``, and ``.txt`` files that hold markup)."""

    #: The parser reads a page cut at a line end (unclosed tags are closed for it).
    cuttable = True

    def read(self, data: bytes) -> ReadArticle:
        """The page's article, cleaned, with the metadata its markup states."""
        decoded = decode(data)
        if decoded is None:
            raise NotAnArticle("not text (not UTF-8, and no other encoding fits)")
        return read_html(decoded[0])


def read_html(page: str) -> ReadArticle:
    """Extract, then clean, the article of an HTML page.

    Raises:
        NotAnArticle: No text in the page.
    """
    import trafilatura

    found: Any = trafilatura.bare_extraction(page, with_metadata=True, include_comments=False,
                                             include_tables=False, favor_recall=True)
    text = (found.text if found is not None else "") or _plain_text(page)
    title = found.title if found is not None else None
    if not text.strip():
        raise NotAnArticle("an HTML page with no article text")
    # The headline goes first, as in a scraped text file, where cleaning looks for it.
    raw = f"{title}\n\n{text}" if title and not text.startswith(title) else text
    body, meta = parse_article(raw)
    if not body:
        raise NotAnArticle("nothing left after cleaning")
    date = found.date if found is not None else None
    return ReadArticle(body, replace(
        meta,
        title=meta.title or title,
        outlet=meta.outlet or (found.sitename if found is not None else None),
        date=meta.date or (date if date and _DATE_ISO.fullmatch(date) else None),
    ))


def _plain_text(page: str) -> str:
    """The visible text of a page or fragment, one block element a line."""
    import lxml.html

    try:
        root = lxml.html.fromstring(page)
    except Exception:  # lxml raises several types for what is not markup at all
        return ""
    for dead in root.xpath("//script|//style|//noscript|//template"):
        dead.drop_tree()
    for block in root.xpath("//p|//div|//br|//li|//h1|//h2|//h3|//h4|//tr"):
        block.tail = "\n" + (block.tail or "")
    return str(root.text_content())
