"""Pure formatting of followed stories, alerts and digests for Telegram's HTML (no I/O).

A report is shown as its source line (headline — outlet, date (file)), whether it is new or
updated, and the one sentence that matched the story, quoted. An alert lists at most
:data:`ALERT_REPORTS` reports (the rest are one ``/digest`` away) with each sentence cut to
:data:`SENTENCE_CHARS`, so it always fits one message; a digest is cut into messages by
:func:`bot.split.split_blocks`.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.follow import DigestStory, Follow, Report
from bot.format import source_line
from bot.split import Block, split_blocks
from bot.telegram.render import HTML, MAX_MESSAGE, escape, length, passage_html
from bot.texts import lang_of, text
from retrieval.types import Citation, StoryMatch

__all__ = ["ALERT_REPORTS", "SENTENCE_CHARS", "alert_html", "digest_html", "followed_html",
           "following_html", "report_passage_html"]

#: Reports listed in one alert; more are one /digest away.
ALERT_REPORTS = 8
#: A quoted sentence is cut to this many characters in alerts and digests.
SENTENCE_CHARS = 300
_SOURCE_CHARS = 200
_TITLE_CHARS = 120


def _cut(value: str, limit: int) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[:limit - 1].rstrip() + "…"


def _citation(report: Report | StoryMatch, n: int) -> Citation:
    """A report as a citation, its headline and outlet cut so that the file name, last on
    the source line, always shows."""
    title = _cut(report.title, _TITLE_CHARS) if report.title else None
    outlet = _cut(report.outlet, _TITLE_CHARS) if report.outlet else None
    return Citation(n, report.doc_id, title, outlet, report.date, report.sentence,
                    report.score, report.passage)


def _report_lines(report: Report, n: int, lang: str) -> str:
    kind = text(lang, "is_updated" if report.kind == "updated" else "is_new")
    source = source_line(_citation(report, n), lang)
    return (f"[{n}] {escape(source)} · <i>{escape(kind)}</i>\n"
            f"<blockquote>{escape(_cut(report.sentence, SENTENCE_CHARS))}</blockquote>")


def alert_html(reports: Sequence[Report], lang: str) -> tuple[str, list[tuple[str, int]]]:
    """One alert for one chat and one index update: its text and its citation buttons
    (label, report id), grouped by the followed story."""
    lang = lang_of(lang)
    shown = list(reports[:ALERT_REPORTS])
    parts = [f"<b>🔔 {escape(text(lang, 'alert_title'))}</b>"]
    story = None
    buttons: list[tuple[str, int]] = []
    for n, report in enumerate(shown, 1):
        if report.story != story:
            story = report.story
            parts.append(f"\n<b>{escape(text(lang, 'story'))}: "
                         f"{escape(_cut(story, _SOURCE_CHARS))}</b>")
        parts.append(_report_lines(report, n, lang))
        buttons.append((text(lang, "source_button", n=n), report.id))
    if len(reports) > len(shown):
        parts.append(escape(text(lang, "more_reports", n=len(reports) - len(shown))))
    return "\n".join(parts), buttons


def digest_html(stories: Sequence[DigestStory], since: str, lang: str) -> list[str]:
    """A digest as one or more messages; a one-line message when nothing is new."""
    lang = lang_of(lang)
    if not stories:
        return [escape(text(lang, "digest_empty", since=since))]
    blocks = [Block(f"📰 {text(lang, 'digest_title', since=since)}", open="<b>", close="</b>")]
    n = 0
    for story in stories:
        blocks.append(Block(f"{text(lang, 'story')}: {_cut(story.story, _SOURCE_CHARS)}",
                            open="<b>", close="</b>"))
        for report in story.reports:
            n += 1
            kind = text(lang, "is_updated" if report.kind == "updated" else "is_new")
            source = source_line(_citation(report, n), lang)
            blocks.append(Block(f"[{n}] {source} · {kind}", sep="\n"))
            blocks.append(Block(f"“{_cut(report.sentence, SENTENCE_CHARS)}”", open="<i>",
                                close="</i>", sep="\n"))
    return split_blocks(blocks, MAX_MESSAGE, HTML)


def following_html(follows: Sequence[Follow], lang: str) -> str:
    """``/following``: the chat's stories, numbered as ``/unfollow N`` takes them."""
    lang = lang_of(lang)
    if not follows:
        return escape(text(lang, "following_none"))
    lines = [f"<b>{escape(text(lang, 'following'))}</b>"]
    lines += [f"{i}. {escape(_cut(f.story, _SOURCE_CHARS))}" for i, f in enumerate(follows, 1)]
    return "\n".join(lines)


def followed_html(confirmation: str, newest: StoryMatch | None, lang: str) -> str:
    """The reply to ``/follow``: the confirmation and the newest report already matching."""
    lang = lang_of(lang)
    lines = [escape(confirmation)]
    if newest is None:
        lines.append(escape(text(lang, "no_match_yet")))
    else:
        source = source_line(_citation(newest, 1), lang)
        lines += [f"<b>{escape(text(lang, 'newest_match'))}</b>", escape(source),
                  f"<blockquote>{escape(_cut(newest.sentence, SENTENCE_CHARS))}</blockquote>"]
    html = "\n".join(lines)
    return html if length(html) <= MAX_MESSAGE else escape(confirmation[:1000])


def report_passage_html(report: Report, lang: str) -> str:
    """A citation button of an alert: the report's passage with its sentence in bold."""
    return passage_html(_citation(report, 1), lang)
