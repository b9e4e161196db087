"""Matching a newly published index version against every followed story, exactly once.

:func:`process_update` compares the version the engine serves with the last one recorded in
the database. The articles it added or whose content hash changed (removed ones never alert)
are matched against each distinct followed story (:meth:`retrieval.stories.Stories.match`);
the matches, one outbox row per chat and the new version are recorded in one transaction
(:meth:`FollowStore.record_update`). A crash before the commit leaves the old version
recorded, so the next run processes the update again; after it, never again.

The very first version a database sees is only recorded: alerts are about what changes while
a story is followed, not about the articles indexed before.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.follow.store import Follow, FollowStore, NewReport
from retrieval.engine import Engine

__all__ = ["UpdateResult", "process_update"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpdateResult:
    """What processing a version did.

    Attributes:
        version: The version now recorded as processed.
        added: Articles it added.
        changed: Articles whose content changed.
        alerts: Chats an alert was queued for.
        seconds: How long matching and recording took.
    """

    version: str
    added: int = 0
    changed: int = 0
    alerts: int = 0
    seconds: float = 0.0


def process_update(engine: Engine, store: FollowStore, min_score: float,
                   now: float | None = None) -> UpdateResult | None:
    """Match the newest published version's new and changed articles against every followed
    story and queue the alerts; ``None`` when that version was processed already.

    Args:
        engine: Serves the newest published version (switched to here if needed).
        store: The follow database.
        min_score: ``KABAR_FOLLOW_MIN_SCORE``.
        now: The time recorded with the reports (epoch seconds; default: now).
    """
    started = time.monotonic()
    stories = engine.stories(min_score)
    known = store.processed_version()
    if known == stories.version:
        return None
    if known is None:  # a new database: nothing was followed before this version
        store.record_update(stories.version, stories.contents, [], now or time.time())
        return UpdateResult(stories.version)
    old = store.known_contents()
    added = [d for d in stories.contents if d not in old]
    changed = [d for d, h in stories.contents.items() if d in old and old[d] != h]
    kinds = {**dict.fromkeys(added, "new"), **dict.fromkeys(changed, "updated")}
    reports: list[NewReport] = []
    if kinds:
        groups: dict[tuple[str, str], list[Follow]] = {}
        for follow in store.follows():  # one match per distinct story, however many chats
            groups.setdefault((follow.story.casefold(), follow.lang), []).append(follow)
        for same in groups.values():
            for match in stories.match(same[0].story, kinds, same[0].lang):
                reports += [NewReport(f, kinds[match.doc_id], match) for f in same]
    alerts = store.record_update(stories.version, stories.contents, reports,
                                 now or time.time())
    result = UpdateResult(stories.version, len(added), len(changed), alerts,
                          time.monotonic() - started)
    log.info("index version %s: %d new and %d changed articles, alerts for %d chats",
             result.version, result.added, result.changed, result.alerts)
    return result
