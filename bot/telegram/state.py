"""What the bot remembers per chat: a :class:`~bot.session.ChatSession` and a lock, bounded."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, TypeAlias, cast

from telegram import Update
from telegram.ext import ContextTypes

from bot.session import ChatSession
from retrieval.engine import Engine

__all__ = ["ENGINE", "ChatState", "Context", "chat_state", "engine_of", "user_lang"]

Context: TypeAlias = ContextTypes.DEFAULT_TYPE

#: Key of the engine in ``application.bot_data``.
ENGINE = "engine"
#: Earlier turns of a chat passed to the engine as history, and how long they stay relevant.
HISTORY_TURNS, HISTORY_SECONDS = 3, 30 * 60
#: Answers per chat whose citation buttons still work (older ones say "ask again").
KEPT_ANSWERS = 20


@dataclass
class ChatState:
    """One chat: its conversation, and a lock so that its questions are answered in order
    (which keeps follow-ups and their history consistent)."""

    session: ChatSession
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def chat_state(context: Context, rate_limit: int = 0) -> ChatState:
    """The chat's state, made on its first use with ``rate_limit`` questions a minute."""
    chat_data = cast(dict[str, Any], context.chat_data)
    state = chat_data.get("kabar")
    if state is None:
        session = ChatSession(HISTORY_TURNS, max_age=HISTORY_SECONDS, rate_limit=rate_limit,
                              keep=KEPT_ANSWERS)
        state = chat_data["kabar"] = ChatState(session)
    return cast(ChatState, state)


def engine_of(context: Context) -> Engine:
    return cast(Engine, context.bot_data[ENGINE])


def user_lang(update: Update, context: Context) -> str:
    """The language for the bot's own words: the question's, else the user's app language."""
    message = update.message  # not a callback's: that text is the bot's own
    engine = cast(Engine | None, context.bot_data.get(ENGINE))
    if engine is not None and message is not None and message.text \
            and not message.text.startswith("/"):
        question = engine.prepare(message.text)
        if question.has_words:  # emoji alone say nothing of a language
            return question.lang
    user = update.effective_user
    code = (user.language_code or "") if user else ""
    return "id" if code.lower().startswith(("id", "ms")) else "en"
