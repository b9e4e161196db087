"""Clean scraped news articles and read their metadata.

Scraped Indonesian news pages carry the article plus the page around it: related-story
links ("Baca Juga: ..."), share buttons, comment forms, cookie banners, photo credits,
font-size widgets, editor initials and copyright footers. Everything here is a pure
function of the raw text; nothing reads files.

The rules are deliberately narrow: each one matches a whole line of a known noise
pattern (or, for the few inline rules, a token that is never prose: an empty "[]", a
related-story link or editor initials glued to a paragraph's end), so a content
sentence is never dropped. A sentence that merely *mentions* cookies or copyright stays.

Paragraphs are the source's lines (a hard-wrapped line that continues in lower case is
joined to the line before); whitespace inside them is collapsed and the words are kept
as written. The headline and lines that only carry metadata (byline, outlet signature,
copyright) are not part of the body; :func:`extract_metadata` reads them instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from retrieval.reading.dates import DateHit, find_date
from retrieval.reading.noise import MD_HEADING, noise_match, normalise_line, strip_inline_noise
from retrieval.text.datelines import dateline as _dateline
from retrieval.types import ArticleMeta

__all__ = ["clean_text", "extract_metadata", "parse_article", "split_title_and_body"]

# ---------------------------------------------------------------------------------------
# Datelines, titles and outlets
# ---------------------------------------------------------------------------------------

_COPYRIGHT_HOLDER = re.compile(
    r"(?:hak\s+cipta\s+(?:milik|oleh)\s+|(?:copyright\s*)?(?:©|\(c\))?\s*(?:copyright\s*)?"
    r"(?:\d{4}(?:\s*[-–]\s*\d{4})?)?\s*(?:by\s+)?)"
    r"(?P<holder>.+?)[.,]?(?:\s*(?:all\s+rights\s+reserved|hak\s+cipta\s+dilindungi.*)\.?)?$",
    re.I,
)
_NOTICE_ONLY = re.compile(r"\W*(?:all\s+rights\s+reserved|hak\s+cipta\s+dilindungi\S*"
                          r"(?:\s+undang-undang)?)\W*", re.I)
# Characters that end a sentence (possibly followed by a closing quote or bracket).
_WORDS = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"[.!?…:;,][\"”’')\]]*$")
# How many body paragraphs are searched for a date when no byline/date line has one.
_DATE_SEARCH_PARAGRAPHS = 3
_TITLE_MAX_WORDS = 25
_TITLE_MAX_CHARS = 200


@dataclass(frozen=True)
class _Parsed:
    title: str | None
    paragraphs: tuple[str, ...]
    meta_lines: tuple[tuple[str, re.Match[str]], ...]  # (rule name, match) of noise lines


def _is_title(line: str) -> bool:
    """A headline: short, no sentence-final punctuation, not a dateline opening."""
    words = len(line.split())
    if not 2 <= words <= _TITLE_MAX_WORDS or len(line) > _TITLE_MAX_CHARS:
        return False
    if _SENTENCE_END.search(line) and not line.endswith(("?", "!", "?”", "!”", '?"', '!"')):
        return False
    first_letter = next((c for c in line if c.isalnum()), "")
    if first_letter.islower():
        return False
    # "Polisi: Penumpang ... 80 Orang" is a headline, not a "Paris: ..." dateline: those
    # open a sentence, and this line ends without one.
    opening = _dateline(line)
    return opening is None or opening.group(0).rstrip().endswith(":")


def _joins_previous(previous: str, line: str) -> bool:
    """Whether ``line`` continues a hard-wrapped paragraph (Markdown wrapped at ~80)."""
    return (
        not _SENTENCE_END.search(previous)
        and not previous.startswith("#")
        and line[:1].islower()
    )


def _dedupe_key(paragraph: str) -> str:
    # Case, spacing and punctuation differences do not make a paragraph new.
    return " ".join(_WORDS.findall(paragraph.casefold()))


_CREDIT_TAIL = re.compile(r"\s*\([^()]{1,60}\)\s*$")


def _analyse(raw: str) -> _Parsed:
    """Split raw text into title, cleaned paragraphs and the metadata-bearing lines."""
    text = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n"))
    # Kept lines in order; None marks a paragraph boundary (blank or removed line).
    lines: list[str | None] = []
    meta_lines: list[tuple[str, re.Match[str]]] = []
    body_started = False
    raw_lines = text.split("\n")
    last = max((i for i, r in enumerate(raw_lines) if r.strip()), default=0)
    for number, raw_line in enumerate(raw_lines):
        line = normalise_line(raw_line)
        noise = noise_match(line) if line else None
        if noise is not None and noise[0] == "caption" and (body_started or number == last):
            # A caption sits above the story. Further down, a sentence ending in an agency
            # credit is the story's last line ("... Shimon Peres. (AP / AFP / MYR)"): keep
            # the sentence, drop only the credit.
            line = _CREDIT_TAIL.sub("", line).rstrip()
            noise = None
        if noise is None and line and len(line.split()) > 12:
            body_started = True
        if noise is not None:
            meta_lines.append(noise)
        elif line:
            line = strip_inline_noise(line)
        lines.append(line if line and noise is None else None)

    title: str | None = None
    kept = [i for i, candidate in enumerate(lines) if candidate is not None]
    if len(kept) >= 2:
        first = MD_HEADING.sub("", lines[kept[0]] or "")
        if _is_title(first):
            title = first
            lines[kept[0]] = None

    # Lines of a paragraph are collected and joined once (joining as they come would copy
    # a long hard-wrapped paragraph once per line).
    parts: list[list[str]] = []
    previous: str | None = None
    for kept_line in lines:
        if kept_line is None:
            pass
        elif previous is not None and _joins_previous(previous, kept_line):
            parts[-1].append(kept_line)
        else:
            parts.append([MD_HEADING.sub("", kept_line)])
        previous = kept_line
    paragraphs = [" ".join(p) for p in parts]

    # Scrapes repeat paragraphs (a whole article twice, a caption twice): keep the first.
    seen = {_dedupe_key(title)} if title else set()
    unique: list[str] = []
    for paragraph in paragraphs:
        key = _dedupe_key(paragraph)
        if key and key in seen:
            continue
        seen.add(key)
        unique.append(paragraph)
    return _Parsed(title, tuple(unique), tuple(meta_lines))


def _place(raw_place: str) -> str:
    # "DAMASKUS" -> "Damaskus"; "Den Haag" stays as written.
    if raw_place.isupper():
        return " ".join(word.capitalize() for word in raw_place.split())
    return raw_place


def _metadata(parsed: _Parsed) -> ArticleMeta:
    place: str | None = None
    outlet: str | None = None
    if parsed.paragraphs:
        dateline = _dateline(parsed.paragraphs[0])
        if dateline is not None:
            found_place = dateline.group("place")
            place = _place(found_place.strip()) if found_place else None
            found = dateline.groupdict().get("outlet")
            outlet = found.strip() if found else None

    date: DateHit | None = None
    signature_outlet: str | None = None
    copyright_outlet: str | None = None
    for name, match in parsed.meta_lines:
        if name in ("byline", "date-line") and date is None:
            date = find_date(match.group(0))
        elif name == "signature" and signature_outlet is None:
            signature_outlet = match.group("abbr") or match.group("name").strip()
        elif name == "copyright" and copyright_outlet is None:
            holder = _COPYRIGHT_HOLDER.fullmatch(match.group(0))
            # "All rights reserved" alone is the notice, not a holder (not an outlet).
            if holder and 0 < len(holder.group("holder").split()) <= 8 \
                    and not _NOTICE_ONLY.fullmatch(holder.group("holder")):
                copyright_outlet = holder.group("holder").strip().rstrip(".")
    if date is None:
        for paragraph in parsed.paragraphs[:_DATE_SEARCH_PARAGRAPHS]:
            date = find_date(paragraph)
            if date is not None:
                break

    return ArticleMeta(
        title=parsed.title,
        outlet=outlet or signature_outlet or copyright_outlet or None,
        place=place,
        date=date.iso if date else None,
        date_text=date.text if date else None,
    )


# ---------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------


def split_title_and_body(raw: str) -> tuple[str | None, str]:
    """Split a scraped article into its headline and its cleaned body.

    Args:
        raw: The article's text as read from the file (BOM already removed).

    Returns:
        ``(title, body)``: the headline line or ``None`` when the article opens
        straight with its text, and the body as :func:`clean_text` returns it.
    """
    parsed = _analyse(raw)
    return parsed.title, "\n\n".join(parsed.paragraphs)


def clean_text(raw: str) -> str:
    """Remove scrape noise and return the article body.

    Removes related-story links, share bullets, comment forms, cookie banners,
    copyright and photo credits, font-size widgets, editor initials, bylines, the
    outlet's signature line and the headline; drops repeated paragraphs.

    Args:
        raw: The article's text as read from the file.

    Returns:
        The body's paragraphs joined by a blank line (``"\\n\\n"``), whitespace inside
        each collapsed to single spaces, the words otherwise as written. Empty when
        nothing but noise was found.
    """
    return split_title_and_body(raw)[1]


def extract_metadata(raw: str) -> ArticleMeta:
    """Read the title, outlet, dateline place and date an article's text states.

    Args:
        raw: The article's text as read from the file.

    Returns:
        The metadata; fields the text does not state are ``None``. ``date`` is ISO 8601
        (``"2024-02-24T20:35"`` or ``"2024-02-24"``) only for a full date; a partial one
        such as ``"Sabtu (26/7)"`` is kept in ``date_text`` alone.
    """
    return _metadata(_analyse(raw))


def parse_article(raw: str) -> tuple[str, ArticleMeta]:
    """Clean an article and read its metadata in one pass.

    Args:
        raw: The article's text as read from the file.

    Returns:
        ``(body, meta)``, equal to ``(clean_text(raw), extract_metadata(raw))``.
    """
    parsed = _analyse(raw)
    return "\n\n".join(parsed.paragraphs), _metadata(parsed)
