"""The Telegram bot: python-telegram-bot (v22) handlers around the shared engine.

:func:`run_bot` is ``kabar bot``: it brings the index up to date (:mod:`bot.app`), builds the
application (:mod:`.run`) with its handlers (:mod:`.handlers`; per chat, :mod:`.state` keeps a
:class:`bot.session.ChatSession` and a lock), keeps within Telegram's flood limits
(:mod:`.flood`) and the token out of the logs (:mod:`.redact`). Every message text is made by
the pure functions of :mod:`.render` (:mod:`.follow_render` for followed stories). Following
stories: the commands in :mod:`.follow`, the watcher and the outbox sender in :mod:`.alerts`,
the database in :mod:`bot.follow`.
"""

from bot.telegram.flood import FLOOD_WAIT_LIMIT, FloodWaitTooLong, PatientRateLimiter
from bot.telegram.redact import TokenFilter, protect_logs, redact
from bot.telegram.run import (
    MISSING_TOKEN,
    REJECTED_TOKEN,
    build_application,
    run_application,
    run_bot,
)

__all__ = ["FLOOD_WAIT_LIMIT", "MISSING_TOKEN", "REJECTED_TOKEN", "FloodWaitTooLong",
           "PatientRateLimiter", "TokenFilter", "build_application", "protect_logs", "redact",
           "run_application", "run_bot"]
