"""Pure formatting of answers and index facts for Telegram's HTML parse mode (no I/O here).

Every piece of text that comes from a user or an article goes through :func:`html.escape`, and
every tag is opened and closed within one message part, so Telegram never rejects a message
for unbalanced markup and a question such as ``<b>&`` is shown as typed. Long answers are cut
into messages by the generic :func:`bot.split.split_blocks`, with Telegram's limit
(:data:`MAX_MESSAGE`) and its HTML (:data:`HTML`: escaped, counted in UTF-16 code units).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from html import escape as _escape

from bot.format import answer_text, notice_text, source_line, support_quoted
from bot.split import Block, Markup, hard_cut, split_blocks
from bot.texts import EXAMPLES, lang_of, text
from retrieval.types import Answer, ArticleInfo, Citation, IndexInfo

#: Telegram's limit for one message's text.
MAX_MESSAGE = 4096

# An article line listed by /sources is cut to this many characters, so a page always fits.
_MAX_SOURCE_LINE = 300


def escape(value: str) -> str:
    """Escape text for Telegram's HTML mode (``<``, ``>`` and ``&``; quotes are fine)."""
    return _escape(value, quote=False)


def length(value: str) -> int:
    """Length as Telegram counts it: UTF-16 code units, so an emoji counts twice."""
    return len(value.encode("utf-16-le")) // 2


#: Telegram's HTML parse mode, for :func:`bot.split.split_blocks`.
HTML = Markup(escape=escape, length=length)


def answer_html(answer: Answer) -> list[str]:
    """The answer as Telegram HTML messages: notice, answer with [n] markers, numbered sources.

    Args:
        answer: The engine's answer.

    Returns:
        One or more message texts, each at most :data:`MAX_MESSAGE` long, cut between
        paragraphs when possible, else between sentences, never inside a tag or a marker.
    """
    lang = lang_of(answer.lang)
    blocks: list[Block] = []
    notice = notice_text(answer)
    if notice:
        blocks.append(Block(notice, open="<i>", close="</i>"))
    body = answer_text(answer)
    # A list (reports that differ, a timeline) keeps its items together, one per line.
    blocks.extend(Block(line, sep="\n" if line.startswith("- ") else "\n\n")
                  for line in body.split("\n") if line.strip())
    if answer.citations:
        blocks.append(Block(f"{text(lang, 'sources')}:", open="<b>", close="</b>"))
        for c in answer.citations:
            blocks.append(Block(f"[{c.n}] {source_line(c, lang)}", sep="\n"))
            if support_quoted(answer):  # an LLM's words: the articles' own under each source
                blocks.append(Block(f"“{c.quote}”", open="<i>", close="</i>", sep="\n"))
    return split_blocks(blocks, MAX_MESSAGE, HTML)


def citation_buttons(answer: Answer) -> list[tuple[str, int]]:
    """Labels and citation numbers for the answer's "show the quote" buttons."""
    return [(text(answer.lang, "quote_button", n=c.n), c.n) for c in answer.citations]


def passage_html(citation: Citation, lang: str = "en") -> str:
    """A citation's source line and passage, with the answer's quoted sentences in bold.

    Quoted sentences that come from another part of the article than the stored passage are
    listed after it, so the reader always sees every sentence the answer relied on.

    Args:
        citation: The cited source.
        lang: Language of the labels.

    Returns:
        One message text of at most :data:`MAX_MESSAGE` characters.
    """
    head = f"<b>{escape(f'[{citation.n}] {source_line(citation, lang_of(lang))}')}</b>\n"
    fragments = [f.strip() for f in citation.quote.split(" … ") if f.strip()]
    spans: list[tuple[int, int]] = []
    missing: list[str] = []
    for fragment in fragments:
        start = citation.passage.find(fragment)
        if start < 0 or any(start < e and s < start + len(fragment) for s, e in spans):
            missing.append(fragment)
        else:
            spans.append((start, start + len(fragment)))
    tail = ""
    if missing:
        tail = f"\n<i>{escape(text(lang, 'also_quoted'))}</i>\n" + "\n".join(
            f"<blockquote><b>{escape(f)}</b></blockquote>" for f in missing)
    budget = MAX_MESSAGE - length(head) - length(tail) - length("<blockquote></blockquote>")
    body = _bold_spans(citation.passage, sorted(spans), budget)
    message = f"{head}<blockquote>{body}</blockquote>{tail}"
    if length(message) > MAX_MESSAGE:  # only with absurdly long quotes: drop the extras
        message = f"{head}<blockquote>{body}</blockquote>"
    return message


def start_html(info: IndexInfo, lang: str = "en") -> str:
    """The /start and /help message: what the bot knows and how to ask, with examples."""
    lang = lang_of(lang)
    newest = text(lang, "newest", date=_date(info.newest_date)) if info.newest_date else ""
    examples = [*EXAMPLES[lang], *EXAMPLES["id" if lang == "en" else "en"]]
    return "\n\n".join([
        escape(text(lang, "intro", n=info.articles, newest=newest)),
        escape(text(lang, "how")),
        f"<b>{escape(text(lang, 'examples'))}:</b>\n"
        + "\n".join(f"• <code>{escape(e)}</code>" for e in examples),
        escape(text(lang, "commands")),
    ])


def page_count(total: int, per_page: int) -> int:
    """Number of /sources pages for ``total`` articles (at least one)."""
    return max(1, math.ceil(total / max(1, per_page)))


def sources_page_html(articles: Sequence[ArticleInfo], page: int, per_page: int,
                      lang: str = "en") -> str:
    """One page of the /sources list, numbered across pages.

    Args:
        articles: All indexed articles, in id order.
        page: The page, from 0; clamped to the pages there are.
        per_page: Articles per page.
        lang: Language of the labels.

    Returns:
        The page's message text.
    """
    lang = lang_of(lang)
    if not articles:
        return escape(text(lang, "no_articles"))
    pages = page_count(len(articles), per_page)
    page = min(max(page, 0), pages - 1)
    first = page * per_page
    lines = [f"<b>{escape(text(lang, 'sources'))}</b> — "
             + escape(text(lang, "page", page=page + 1, pages=pages, n=len(articles)))]
    for i, article in enumerate(articles[first:first + per_page], first + 1):
        line = source_line(article, lang)
        if len(line) > _MAX_SOURCE_LINE:
            line = line[:_MAX_SOURCE_LINE - 1] + "…"
        lines.append(f"{i}. {escape(line)}")
    return "\n".join(lines)


def status_html(info: IndexInfo, lang: str = "en") -> str:
    """The /status message: index size, model and last update."""
    lang = lang_of(lang)

    def row(key: str, value: object) -> str:
        return f"{escape(text(lang, key))}: {escape(str(value))}"

    return "\n".join([
        f"<b>{escape(text(lang, 'status'))}</b>",
        row("articles", info.articles),
        row("chunks", info.chunks),
        row("model", f"{info.model} ({info.dim} {text(lang, 'dimensions')})"),
        row("newest_article", _date(info.newest_date) if info.newest_date
            else text(lang, "no_date")),
        row("updated", _date(info.built_at)),
        row("version", info.version),
    ])


def _bold_spans(passage: str, spans: list[tuple[int, int]], budget: int) -> str:
    """Escape ``passage`` with ``spans`` in bold, cut with "…" to fit ``budget``."""
    segments = []
    position = 0
    for start, end in spans:
        segments += [(passage[position:start], False), (passage[start:end], True)]
        position = end
    segments.append((passage[position:], False))
    out = []
    used = 0
    for raw, bold in segments:
        if not raw:
            continue
        opening, closing = ("<b>", "</b>") if bold else ("", "")
        html = f"{opening}{escape(raw)}{closing}"
        if used + length(html) <= budget:
            out.append(html)
            used += length(html)
            continue
        room = budget - used - length(opening + closing) - 1  # 1 for the ellipsis
        if room >= len("&amp;"):
            out.append(f"{opening}{escape(hard_cut(raw, room, HTML)[0])}{closing}")
            used = budget - 1
        if used < budget:
            out.append("…")
        break
    return "".join(out)


def _date(value: str) -> str:
    """An ISO date or timestamp as ``2024-02-24 20:35``; other text as it is."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if len(value) <= 10:
        return moment.strftime("%Y-%m-%d")
    suffix = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return moment.strftime("%Y-%m-%d %H:%M") + suffix
