"""Scrape-noise rules: whole lines that are never article text, and tokens glued to lines.

Each rule matches a whole line of a known noise pattern (related-story links, share bullets,
comment forms, cookie banners, credits, bylines...), so a content sentence is never dropped;
a sentence that merely *mentions* cookies or copyright stays. Rules marked "metadata" are
also read for the article's date and outlet before the line is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from retrieval.reading.dates import FULL_DATE

__all__ = ["MD_HEADING", "noise_match", "normalise_line", "strip_inline_noise"]

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
    # Page widgets scraped as lines: ad markers, "scroll to continue", tag lists, and the
    # invitations to follow the outlet elsewhere (Google News, Telegram, a newsletter,
    # "Artikel ini telah tayang di ...", "Klik di sini untuk berita ... lainnya").
    _Rule("widget", re.compile(
        r"advertisement|iklan|ads|scroll\s+to\s+(?:continue|resume)\b.*|"
        r"tags?\s*:.*|(?:share|bagikan)\s*:?\s*(?:facebook|twitter|whatsapp|x|telegram|line|"
        r"email|copy\s+link|[|/,\s])+|"
        r"artikel\s+ini\s+(?:telah\s+)?(?:tayang|terbit)\s+di\b.*|"
        r"(?:ikuti|simak|dapatkan|gabung|follow|subscribe|klik\s+di\s+sini)\b.*\b(?:google\s+"
        r"news|telegram|whatsapp|newsletter|channel|ponsel\w*|berita\s+pilihan|lainnya)\b.*",
        re.I,
    ), max_words=20),
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
        rf"(?:\s*[•·|–—]\s*|\s+-\s+){FULL_DATE}",
        re.I,
    ), max_words=16, precheck=_has_digit),
    # A date (or "Diperbarui: <date>") alone on a line: page metadata. Metadata: the date.
    _Rule("date-line", re.compile(
        r"(?:(?:published|updated|posted(?:\s+on)?|diterbitkan|dipublikasikan|diperbarui|"
        rf"terbit|dimuat)\s*:?\s*)?{FULL_DATE}",
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
MD_HEADING = re.compile(r"^#{1,6}\s+")
# Zero-width characters and soft hyphens: invisible, but they break matching. Terminal
# escape sequences, other control characters and bidirectional overrides are never news text
# and could forge what a terminal shows, so they go too.
_INVISIBLE = re.compile(
    "\x1b\\[[0-?]*[ -/]*[@-~]|\x1b\\][^\x07\x1b]*(?:\x07|\x1b\\\\)?|"
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200d\u2060\ufeff\u202a-\u202e\u2066-\u2069]"
)

def normalise_line(line: str) -> str:
    """A raw line without invisible or control characters, whitespace collapsed, bullet off."""
    # The substring tests skip the regexes on the (usual) lines they cannot change.
    line = _INVISIBLE.sub("", line)
    if "[" in line:
        line = _EMPTY_BRACKETS.sub("", line)
    line = " ".join(line.split())  # str.split() also splits on NBSP and other spaces
    return _LEADING_BULLET.sub("", line)

def strip_inline_noise(line: str) -> str:
    """A kept line without a glued related-story link or editor initials."""
    if "juga" in line.casefold():
        line = _TRAILING_RELATED.sub("", line)
    if line.endswith(")"):
        line = _TRAILING_INITIALS.sub("", line)
    return line.strip()

def noise_match(line: str) -> tuple[str, re.Match[str]] | None:
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
