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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from retrieval.types import ArticleMeta

__all__ = ["clean_text", "extract_metadata", "parse_article", "split_title_and_body"]

# ---------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------

# English and Indonesian month names and the abbreviations outlets use, including old
# Indonesian spellings ("Pebruari", "Nopember") that still appear in archives.
_MONTHS: dict[str, int] = {
    "january": 1, "jan": 1, "januari": 1,
    "february": 2, "feb": 2, "februari": 2, "pebruari": 2, "peb": 2,
    "march": 3, "mar": 3, "maret": 3,
    "april": 4, "apr": 4,
    "may": 5, "mei": 5,
    "june": 6, "jun": 6, "juni": 6,
    "july": 7, "jul": 7, "juli": 7,
    "august": 8, "aug": 8, "agustus": 8, "agu": 8, "agt": 8, "agst": 8, "ags": 8,
    "september": 9, "sep": 9, "sept": 9,
    "october": 10, "oct": 10, "oktober": 10, "okt": 10,
    "november": 11, "nov": 11, "nopember": 11, "nop": 11,
    "december": 12, "dec": 12, "desember": 12, "des": 12,
}  # fmt: skip
# Longest first so that "Juni" is not read as "Jun" followed by "i".
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b"
_WEEKDAY = (
    r"(?:senin|selasa|rabu|kamis|jum['’]?at|sabtu|minggu|ahad|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\b"
)
# An optional clock time after a date: "20:35", ", pukul 20.35 WIB". (?!\d) keeps
# "20.000 orang" from being read as 20:00.
_TIME = (
    r"(?:(?:,\s*|\s+)(?:(?:pukul|pkl\.?|jam|at)\s+)?(?P<hh>\d{1,2})[:.](?P<mm>\d{2})(?!\d)"
    r"(?::\d{2})?(?:\s*(?:WIB|WITA|WIT|UTC|GMT))?)?"
)
_WD_PREFIX = rf"(?:{_WEEKDAY},?\s+)?"

# Each date pattern is a *core* starting at a digit or "(" (so that scanning a
# paragraph is fast) plus a *before* pattern matched against the text just ahead of
# it: an optional weekday ("Sabtu, 24 Februari 2024"), the month of an American date
# ("February 24, 2024"), or the weekday a partial date needs ("Sabtu (26/7)").
# Together they yield the named groups d, m or mon, and optionally y, hh, mm.
_OPTIONAL_WEEKDAY_BEFORE = re.compile(rf"(?<!\w){_WEEKDAY},?\s+$", re.I)
_MONTH_BEFORE = re.compile(rf"(?<!\w)(?:{_WEEKDAY},?\s+)?(?P<mon>{_MONTH})\.?\s+$", re.I)
_WEEKDAY_BEFORE = re.compile(rf"(?<!\w){_WEEKDAY}\s*$", re.I)
_LOOKBACK = 40  # characters searched for the "before" part


@dataclass(frozen=True)
class _DatePattern:
    core: re.Pattern[str]
    before: re.Pattern[str] | None = None
    before_required: bool = False


_DATE_PATTERNS: tuple[_DatePattern, ...] = (
    # "24 February 2024 20:35", "Sabtu, 24 Februari 2024"
    _DatePattern(
        re.compile(
            rf"(?<![\w/.-])(?P<d>\d{{1,2}})\s+(?P<mon>{_MONTH})\.?,?\s+(?P<y>\d{{4}})(?!\d)"
            + _TIME,
            re.I,
        ),
        _OPTIONAL_WEEKDAY_BEFORE,
    ),
    # "February 24, 2024" (American order): the month comes from the "before" part.
    _DatePattern(
        re.compile(r"(?<![\w/.-])(?P<d>\d{1,2}),?\s+(?P<y>\d{4})(?!\d)" + _TIME, re.I),
        _MONTH_BEFORE,
        before_required=True,
    ),
    # "24/02/2024", "24-02-2024" (Indonesian outlets write day first)
    _DatePattern(
        re.compile(
            r"(?<![\w/.-])(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})(?![\d/])" + _TIME,
            re.I,
        ),
        _OPTIONAL_WEEKDAY_BEFORE,
    ),
    # "2024-02-24", "2024-02-24T20:35"
    _DatePattern(
        re.compile(
            r"(?<![\w/.-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
            r"(?:[T ](?P<hh>\d{2}):(?P<mm>\d{2}))?(?!\d)"
        ),
    ),
    # "Sabtu (26/7)" — the Indonesian news convention for the day of the event; the
    # year is usually left out, so this is kept as text unless it is given.
    _DatePattern(
        re.compile(r"\((?P<d>\d{1,2})/(?P<m>\d{1,2})(?:/(?P<y>\d{2}|\d{4}))?\)"),
        _WEEKDAY_BEFORE,
        before_required=True,
    ),
)


@dataclass(frozen=True)
class _DateHit:
    start: int
    text: str
    iso: str | None


def _date_from_groups(groups: dict[str, str | None], start: int, text: str) -> _DateHit | None:
    """Turn a date's parts into a hit; None when the numbers are not a real date."""
    mon, m = groups.get("mon"), groups.get("m")
    month = _MONTHS[mon.lower()] if mon else int(m or 0)
    day = int(groups.get("d") or 0)
    year_text = groups.get("y")
    if year_text is None:
        # A partial date still has to name a possible day of a possible month.
        if not (1 <= month <= 12 and 1 <= day <= 31):
            return None
        return _DateHit(start, text, None)
    year = int(year_text)
    if year < 100:
        year += 2000
    try:
        datetime(year, month, day)
    except ValueError:
        return None
    iso = f"{year:04d}-{month:02d}-{day:02d}"
    hh, mm = groups.get("hh"), groups.get("mm")
    if hh is not None and mm is not None and int(hh) < 24 and int(mm) < 60:
        iso += f"T{int(hh):02d}:{int(mm):02d}"
    return _DateHit(start, text, iso)


def _first_hit(pattern: _DatePattern, text: str) -> _DateHit | None:
    for m in pattern.core.finditer(text):
        groups = m.groupdict()
        start = m.start()
        if pattern.before is not None:
            window_start = max(0, start - _LOOKBACK)
            before = pattern.before.search(text, window_start, start)
            if before is None and pattern.before_required:
                continue
            if before is not None:
                groups.update({k: v for k, v in before.groupdict().items() if v is not None})
                start = before.start()
        hit = _date_from_groups(groups, start, text[start : m.end()].strip(" ,"))
        if hit is not None:
            return hit
    return None


def _find_date(text: str) -> _DateHit | None:
    """Return the first (leftmost, then longest) date-like mention in ``text``."""
    best: _DateHit | None = None
    for pattern in _DATE_PATTERNS:
        hit = _first_hit(pattern, text)
        if hit is not None and (
            best is None
            or hit.start < best.start
            or (hit.start == best.start and len(hit.text) > len(best.text))
        ):
            best = hit
    return best


def _date_pattern_source() -> str:
    """A regex (no named groups) matching any of the full dates, for line rules."""
    day_mon_year = rf"{_WD_PREFIX}\d{{1,2}}\s+{_MONTH}\.?,?\s+\d{{4}}"
    mon_day_year = rf"{_WD_PREFIX}{_MONTH}\.?\s+\d{{1,2}},?\s+\d{{4}}"
    numeric = rf"{_WD_PREFIX}\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{4}}"
    iso = r"\d{4}-\d{2}-\d{2}"
    time = _TIME.replace("?P<hh>", "").replace("?P<mm>", "")
    return rf"(?:{day_mon_year}|{mon_day_year}|{numeric}|{iso}){time}"


_FULL_DATE = _date_pattern_source()

# ---------------------------------------------------------------------------------------
# Noise rules
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    """A whole-line noise pattern.

    ``max_words`` bounds the line's length for rules whose pattern could, in theory,
    also start a long prose paragraph: noise lines are short, so a long line is kept.
    """

    name: str
    pattern: re.Pattern[str]
    max_words: int | None = None
    # A cheap test the line must pass before the (slower) pattern is tried.
    precheck: Callable[[str], bool] | None = None


def _ends_with_bracket(line: str) -> bool:
    return line.endswith(")")


def _has_digit(line: str) -> bool:
    return any(c.isdigit() for c in line)


_AGENCY = (
    r"(?:AP|AFP|EPA(?:[-/]EFE)?|Reuters|Antara(?:\s+Foto)?|Getty\s+Images|Xinhua|"
    r"Anadolu(?:\s+Agency)?|AA|Shutterstock|Istimewa)"
)
_NEWS_WORD = (
    r"(?:News|Agency|Kantor\s+Berita|Berita|Press|Pers|Media|Times|Post|TV|Radio|Online|"
    r"Daily|Harian|Gazette|Gazeta|Network)"
)

# Checked in order against each line after whitespace is collapsed and "[]" removed;
# the first match drops the line. Rules marked "metadata" are also read by
# extract_metadata before they are dropped.
_RULES: tuple[_Rule, ...] = (
    # Related-story links: a line that starts "Baca juga" is a link to another article
    # (with or without the colon, any capitalisation); "Lihat/Simak juga:" and the
    # English "Read also:" are the same widget on other sites and need the colon.
    _Rule("related", re.compile(
        r"baca\s+juga\b.*|(?:lihat|simak)\s+(?:juga|pula)\s*:.*|"
        r"(?:read|see)\s+(?:also|more)\s*:.*|(?:berita|artikel)\s+terkait\s*:.*|"
        r"related(?:\s+(?:news|articles?|stories))?\s*:.*",
        re.I,
    )),
    # Share buttons scraped as bullets: a line holding only bullet glyphs, dashes or
    # asterisks (and whitespace, incl. NBSP) carries no words at all.
    _Rule("bullets", re.compile(r"[•·●▪◦‣∙*|_\-–—=~\s]+")),
    # Share-widget labels on a line of their own.
    _Rule("share", re.compile(
        r"(?:share(?:\s+this(?:\s+article)?)?|bagikan(?:\s+artikel\s+ini)?)\s*:?", re.I
    )),
    # WordPress comment forms, English and Indonesian: never part of the article.
    _Rule("comment-form", re.compile(
        r"leave\s+a\s+(?:reply|comment)\b.{0,40}|tinggalkan\s+(?:balasan|komentar)\b.{0,40}|"
        r"(?:your\s+)?email\s+address\s+will\s+not\s+be\s+published\b.*|"
        r"alamat\s+email\s+anda\s+tidak\s+akan\s+(?:dipublikasikan|ditampilkan)\b.*|"
        r"required\s+fields\s+are\s+marked\b.*|"
        r"(?:ruas|kolom|bidang)\s+yang\s+wajib\s+(?:diisi\s+)?ditandai\b.*|"
        r"save\s+my\s+name,\s+email,?\s+and\s+website\b.*|simpan\s+nama,\s+email,?\s+dan\s+situs\b.*|"
        r"you\s+must\s+be\s+logged\s+in\s+to\s+post\s+a\s+comment\.?|"
        r"post\s+comment|kirim\s+komentar|cancel\s+reply|batalkan\s+balasan|"
        r"(?:name|nama|e-?mail|surel|website|situs\s+web|comment|komentar)\s*\*?",
        re.I,
    ), max_words=40),
    # Cookie banners: "Situs ini menggunakan kuki. Klik di sini ...", "Terima kuki",
    # "This site uses cookies ...", "Accept cookies".
    _Rule("cookies", re.compile(
        r"(?:situs|laman|website|web|halaman)\s+(?:ini\s+)?menggunakan\s+(?:kuki|cookies?)\b.*|"
        r"kami\s+menggunakan\s+(?:kuki|cookies?)\b.*|"
        r"(?:this\s+(?:site|website)\s+uses|we\s+use)\s+cookies\b.*|"
        r"(?:terima|setuju|accept|allow|izinkan)(?:\s+(?:all|semua))?\s+(?:kuki|cookies?)\.?",
        re.I,
    ), max_words=40),
    # Copyright footers: "Hak cipta milik Rossiyskaya Gazeta.", "Copyright © 2024 X",
    # "© 2024 X". "Hak cipta" needs a holder/notice word after it so that a sentence
    # about copyright ("Hak cipta lagu itu ...") is not matched. Metadata: the holder.
    _Rule("copyright", re.compile(
        r"hak\s+cipta\s+(?:milik|oleh|dilindungi|©|\(c\)|\d{4}).*|"
        r"copyright\s*(?:©|\(c\)|\d{4}|by\b).*|copyright|©.*|\(c\)\s*\d{4}.*|"
        r"all\s+rights\s+reserved\.?",
        re.I,
    ), max_words=25),
    # Photo credits: "foto: huffingtonpost.com", "Foto/Istimewa", "Ilustrasi: ...".
    _Rule("photo-credit", re.compile(
        r"(?:foto|photo|gambar|image|ilustrasi|sumber\s+foto|dok(?:umentasi)?\.?)\s*[:/].*",
        re.I,
    ), max_words=30),
    # A photo agency credit on its own line under a picture: "EPA", "Reuters/John Doe".
    _Rule("agency-credit", re.compile(
        rf"{_AGENCY}(?:\s+(?:Photo|Foto))?(?:\s*/\s*[\w .’'-]{{1,60}})?\.?", re.I
    )),
    # A photo caption: one short sentence ending in a parenthesised agency or photo
    # credit, "Kehancuran akibat serangan udara Israel di Jalur Gaza. (AP)". The
    # lookahead forbids a sentence break inside, so prose ending in "(AP)" is kept.
    _Rule("caption", re.compile(
        r"(?:(?![.!?]\s+[\"“A-Z0-9])[^()])+?\s*"
        rf"\((?:{_AGENCY}(?:\s+(?:Photo|Foto))?(?:\s*/\s*[^()]{{1,60}})?|(?:Foto|Photo)\s*:[^()]{{1,60}})\)"
    ), max_words=30, precheck=_ends_with_bracket),
    # The text-size widget scraped as letters: "A", "A A A", "A- A A+".
    _Rule("font-size", re.compile(r"(?:A[+-]?\s*){1,3}")),
    # Editor initials closing Indonesian articles: "(esn)", "(ant/ara)", "(*)".
    _Rule("initials", re.compile(r"\(\s*(?:[A-Za-z]{2,6}(?:\s*/\s*[A-Za-z]{2,6})*|\*+)\s*\)\.?")),
    # Staff credit lines: "Editor: X", "Penulis: X". Not prose; the names are not needed.
    _Rule("staff-credit", re.compile(
        r"(?:editor|penulis|reporter|pewarta|redaktur|penyunting|oleh|by)\s*:\s*\S.*", re.I
    ), max_words=8),
    # Byline: author name(s), a separator, then the full date — metadata, not content:
    # "Willy Haryono • 24 February 2024 20:35". Metadata: the date. The name must be
    # capitalised words and the separator a bullet, bar or spaced dash (not a comma),
    # so that a prose line ending "... pada Sabtu, 24 Februari 2024" is not matched.
    _Rule("byline", re.compile(
        r"(?:(?:oleh|by|penulis|reporter)\s*:?\s*)?(?-i:[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*){0,5})"
        rf"(?:\s*[•·|–—]\s*|\s+-\s+){_FULL_DATE}",
        re.I,
    ), max_words=16, precheck=_has_digit),
    # A date (or "Diperbarui: <date>") alone on a line: page metadata. Metadata: the date.
    _Rule("date-line", re.compile(
        r"(?:(?:published|updated|posted(?:\s+on)?|diterbitkan|dipublikasikan|diperbarui|"
        rf"terbit|dimuat)\s*:?\s*)?{_FULL_DATE}",
        re.I,
    ), max_words=16, precheck=_has_digit),
    # The outlet's signature closing the article: "Mi’raj News Agency (MINA)". Only a
    # name containing a news word with an abbreviation in brackets, so an organisation
    # named in prose is never matched. Metadata: the outlet.
    _Rule("signature", re.compile(
        rf"(?P<name>(?=[^()]*\b{_NEWS_WORD}\b)[A-Z][^()]{{1,60}}?)\s*\((?P<abbr>[A-Z][A-Za-z.]{{1,11}})\)"
    ), max_words=8, precheck=_ends_with_bracket),
)  # fmt: skip

# Inline rules: tokens removed from inside a kept line.
# An empty link placeholder "[]" left by the scraper, often glued to a paragraph's end.
_EMPTY_BRACKETS = re.compile(r"\s*\[\s*\]")
# A related-story link glued to the end of a paragraph: "... kata dia. Baca juga: Judul"
# — only when nothing after it looks like a sentence end, so prose is never cut.
_TRAILING_RELATED = re.compile(r"\s*\b(?:Baca\s+juga|BACA\s+JUGA|Baca\s+Juga)\s*:[^.!?]*$")
# Editor initials glued to the last sentence: "... tersebut. (esn)". Lower case only and
# only after a sentence end, so an acronym in prose ("... Islam (OKI)") is kept.
_TRAILING_INITIALS = re.compile(r"(?<=[.!?\"”])\s*\([a-z]{2,6}(?:/[a-z]{2,6})*\)$")
# A list bullet glyph opening a kept line is formatting, not text.
_LEADING_BULLET = re.compile(r"^[•·●▪◦‣∙]\s*")
# Markdown heading marks ("## ") are formatting, not text.
_MD_HEADING = re.compile(r"^#{1,6}\s+")
# Zero-width characters and soft hyphens: invisible, but they break matching. Terminal
# escape sequences, other control characters and bidirectional overrides are never news text
# and could forge what a terminal shows, so they go too.
_INVISIBLE = re.compile(
    "\x1b\\[[0-?]*[ -/]*[@-~]|\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|"
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069]"
)
_WORDS = re.compile(r"\w+")

# ---------------------------------------------------------------------------------------
# Datelines, titles and outlets
# ---------------------------------------------------------------------------------------

_PLACE = r"[A-Z][A-Za-z’'.]*(?:\s+[A-Z][A-Za-z’'.]*){0,2}"
_OUTLET_TOKEN = r"[\w.’'&]+(?:-[\w.’'&]+)*"
# Datelines opening the first paragraph, most specific first:
_DATELINES: tuple[re.Pattern[str], ...] = (
    # "Paris, MINA – ...", "Moskow, Jelasberita.com| ...", "JAKARTA, KOMPAS.com - ..."
    re.compile(
        rf"(?P<place>{_PLACE})\s*,\s*(?P<outlet>{_OUTLET_TOKEN}(?:\s+{_OUTLET_TOKEN}){{0,2}}?)"
        r"\s*(?:\||–|—|--?)\s*"
    ),
    # "Jakarta (ANTARA) - ..."
    re.compile(rf"(?P<place>{_PLACE})\s*\((?P<outlet>[^()]{{2,40}})\)\s*(?:\||–|—|--?)\s*"),
    # "DAMASKUS - ..." — upper case only, so that a sentence opening "Israel - ..." is
    # not taken for a dateline.
    re.compile(r"(?P<place>[A-Z][A-Z’'.]{2,}(?:\s+[A-Z][A-Z’'.]+){0,2})\s*,?\s*(?:\||–|—|--?)\s+"),
    # "Paris: Pembicaraan ..."
    re.compile(rf"(?P<place>{_PLACE})\s*:\s+(?=[\"“A-Z])"),
)
# An outlet in a dateline is a domain or has an all-caps name (MINA, CNN, KOMPAS.com);
# this keeps "Jakarta, Indonesia - ..." from naming "Indonesia" as the outlet.
_OUTLET_SHAPE = re.compile(r"\.(?:com|co\.id|id|net|org|tv|news)\b|\b[A-Z]{2,}\b")
_COPYRIGHT_HOLDER = re.compile(
    r"(?:hak\s+cipta\s+(?:milik|oleh)\s+|(?:copyright\s*)?(?:©|\(c\))?\s*(?:copyright\s*)?"
    r"(?:\d{4}(?:\s*[-–]\s*\d{4})?)?\s*(?:by\s+)?)"
    r"(?P<holder>.+?)[.,]?(?:\s*(?:all\s+rights\s+reserved|hak\s+cipta\s+dilindungi.*)\.?)?$",
    re.I,
)
# Characters that end a sentence (possibly followed by a closing quote or bracket).
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


def _normalise_line(line: str) -> str:
    # The substring tests skip the regexes on the (usual) lines they cannot change.
    line = _INVISIBLE.sub("", line)
    if "[" in line:
        line = _EMPTY_BRACKETS.sub("", line)
    line = " ".join(line.split())  # str.split() also splits on NBSP and other spaces
    return _LEADING_BULLET.sub("", line)


def _strip_inline_noise(line: str) -> str:
    if "juga" in line.casefold():
        line = _TRAILING_RELATED.sub("", line)
    if line.endswith(")"):
        line = _TRAILING_INITIALS.sub("", line)
    return line.strip()


def _noise_match(line: str) -> tuple[str, re.Match[str]] | None:
    """Return the first noise rule matching the whole line, with its match."""
    words = len(line.split())
    for rule in _RULES:
        if rule.max_words is not None and words > rule.max_words:
            continue
        if rule.precheck is not None and not rule.precheck(line):
            continue
        m = rule.pattern.fullmatch(line)
        if m:
            return rule.name, m
    return None


def _dateline(paragraph: str) -> re.Match[str] | None:
    for pattern in _DATELINES:
        m = pattern.match(paragraph)
        if m is None:
            continue
        outlet = m.groupdict().get("outlet")
        if outlet is not None and not _OUTLET_SHAPE.search(outlet):
            continue
        return m
    return None


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
    return _dateline(line) is None


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
        line = _normalise_line(raw_line)
        noise = _noise_match(line) if line else None
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
            line = _strip_inline_noise(line)
        lines.append(line if line and noise is None else None)

    title: str | None = None
    kept = [i for i, candidate in enumerate(lines) if candidate is not None]
    if len(kept) >= 2:
        first = _MD_HEADING.sub("", lines[kept[0]] or "")
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
            parts.append([_MD_HEADING.sub("", kept_line)])
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
            place = _place(dateline.group("place").strip())
            found = dateline.groupdict().get("outlet")
            outlet = found.strip() if found else None

    date: _DateHit | None = None
    signature_outlet: str | None = None
    copyright_outlet: str | None = None
    for name, match in parsed.meta_lines:
        if name in ("byline", "date-line") and date is None:
            date = _find_date(match.group(0))
        elif name == "signature" and signature_outlet is None:
            signature_outlet = match.group("abbr") or match.group("name").strip()
        elif name == "copyright" and copyright_outlet is None:
            holder = _COPYRIGHT_HOLDER.fullmatch(match.group(0))
            if holder and 0 < len(holder.group("holder").split()) <= 8:
                copyright_outlet = holder.group("holder").strip().rstrip(".")
    if date is None:
        for paragraph in parsed.paragraphs[:_DATE_SEARCH_PARAGRAPHS]:
            date = _find_date(paragraph)
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
