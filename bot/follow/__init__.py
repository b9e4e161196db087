"""Following stories: subscriptions, what each index update reported on them, the outbox.

:mod:`.store` keeps everything in one SQLite database (WAL, a schema version, migrations):
the chats' followed stories and digest times, the article hashes of the last index version
processed, the reports each update matched, and an outbox of messages still to send.
:mod:`.updates` diffs a newly published version against the last one processed and records,
in one transaction, its matches and one outbox row per chat. :mod:`.digest` gathers a
chat's (or everyone's) reports since a time, grouped by story. Nothing here talks to
Telegram: the bot renders and sends (:mod:`bot.telegram.follow`), ``kabar digest`` prints.
"""

from bot.follow.digest import DigestStory, digest_since, parse_since
from bot.follow.store import Follow, FollowStore, Outgoing, Report
from bot.follow.updates import UpdateResult, process_update

__all__ = ["DigestStory", "Follow", "FollowStore", "Outgoing", "Report", "UpdateResult",
           "digest_since", "parse_since", "process_update"]
