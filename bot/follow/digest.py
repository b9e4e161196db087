"""Digests: the reports recorded since a time, grouped by followed story.

The same digest is sent by ``/digest`` (and daily, ``/digest daily HH:MM``) and printed by
``kabar digest``. An article reported for several chats following the same story is listed
once per story.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.follow.store import FollowStore, Report
from bot.format import source_line
from retrieval.types import Citation

__all__ = ["FIRST_DIGEST", "DigestStory", "digest_json", "digest_since", "digest_text",
           "group_reports", "parse_since"]

#: A chat's first digest covers at most this many seconds (the issue's "last 24 h").
FIRST_DIGEST = 24 * 3600.0
_SINCE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw]?)")
_UNIT = {"": 3600.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}


@dataclass(frozen=True)
class DigestStory:
    """One followed story's reports in a digest, oldest first."""

    story: str
    reports: tuple[Report, ...]


def parse_since(value: str) -> float:
    """``"24h"``, ``"90m"``, ``"2d"``, ``"1w"`` (a bare number is hours) as seconds.

    Raises:
        ValueError: Not such a duration; the message names the accepted forms.
    """
    match = _SINCE.fullmatch(value.strip().lower())
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"--since {value!r} is not a duration: use e.g. 24h, 90m, 2d or 1w")
    return float(match.group(1)) * _UNIT[match.group(2)]


def group_reports(reports: Sequence[Report]) -> list[DigestStory]:
    """Reports grouped by story (in the order stories first appear), each article once per
    story (its newest report: an update after the article was new)."""
    stories: dict[str, dict[str, Report]] = {}
    names: dict[str, str] = {}
    for report in reports:
        key = report.story.casefold()
        names.setdefault(key, report.story)
        stories.setdefault(key, {})[report.doc_id] = report
    return [DigestStory(names[k], tuple(v.values())) for k, v in stories.items()]


def digest_since(store: FollowStore, since: float, chat_id: int | None = None
                 ) -> list[DigestStory]:
    """The digest of a chat (of every followed story when ``chat_id`` is ``None``): the
    reports recorded after ``since`` (epoch seconds), grouped by story."""
    return group_reports(store.reports_since(since, chat_id))


def digest_text(stories: Sequence[DigestStory], since: str) -> str:
    """A digest for a terminal (``kabar digest``): stories, their numbered reports, each
    with its source line and the sentence that matters."""
    if not stories:
        return f"No new reports on followed stories since {since}."
    lines = [f"Digest since {since}"]
    n = 0
    for story in stories:
        lines.append(f"\nStory: {story.story}")
        for report in story.reports:
            n += 1
            lines.append(f"  [{n}] {source_line(_citation(report, n))} · {report.kind}")
            lines.append(f"      “{' '.join(report.sentence.split())}”")
    return "\n".join(lines)


def digest_json(stories: Sequence[DigestStory], since: str) -> dict[str, object]:
    """A digest as JSON (``kabar digest --json``)."""
    return {"since": since, "stories": [
        {"story": s.story, "reports": [
            {"doc_id": r.doc_id, "title": r.title, "outlet": r.outlet, "date": r.date,
             "kind": r.kind, "sentence": r.sentence, "score": r.score, "version": r.version}
            for r in s.reports]}
        for s in stories]}


def _citation(report: Report, n: int) -> Citation:
    return Citation(n, report.doc_id, report.title, report.outlet, report.date,
                    report.sentence, report.score, report.passage)
