"""What the bot remembers per chat (history, rate limit, recent answers), bounded."""

from __future__ import annotations

import asyncio
import math
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any, TypeAlias, cast

from telegram import Update
from telegram.ext import ContextTypes

from retrieval.engine import Engine, has_words
from retrieval.text.wordlists import detect_language
from retrieval.types import Answer, Turn

__all__ = ["ENGINE", "Context", "chat_state", "engine_of", "user_lang"]

Context: TypeAlias = ContextTypes.DEFAULT_TYPE

#: Key of the engine in ``application.bot_data``.
ENGINE = "engine"
#: Earlier turns of a chat passed to the engine as history, and how long they stay relevant.
HISTORY_TURNS, HISTORY_SECONDS = 3, 30 * 60
#: Answers per chat whose citation buttons still work (older ones say "ask again").
KEPT_ANSWERS = 20


@dataclass
class _ChatState:
    """What the bot remembers about one chat, bounded in size."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    turns: deque[tuple[float, Turn]] = field(
        default_factory=lambda: deque(maxlen=HISTORY_TURNS))
    asked: deque[float] = field(default_factory=deque)
    # message id of an answer's last part (the one with the buttons) -> the answer
    answers: OrderedDict[int, Answer] = field(default_factory=OrderedDict)

    def wait_seconds(self, limit: int, now: float) -> int:
        """Seconds until another question is allowed, or 0 (and the question is counted)."""
        while self.asked and now - self.asked[0] >= 60:
            self.asked.popleft()
        if limit and len(self.asked) >= limit:
            return max(1, math.ceil(60 - (now - self.asked[0])))
        self.asked.append(now)
        return 0

    def history(self, now: float) -> list[Turn]:
        return [turn for when, turn in self.turns if now - when < HISTORY_SECONDS]

    def remember(self, question: str, answer: Answer, message_id: int, now: float) -> None:
        self.turns.append((now, Turn(question, answer)))
        self.answers[message_id] = answer
        while len(self.answers) > KEPT_ANSWERS:
            self.answers.popitem(last=False)


def chat_state(context: Context) -> _ChatState:
    chat_data = cast(dict[str, Any], context.chat_data)
    state = chat_data.get("kabar")
    if state is None:
        state = chat_data["kabar"] = _ChatState()
    return cast(_ChatState, state)


def engine_of(context: Context) -> Engine:
    return cast(Engine, context.bot_data[ENGINE])


def user_lang(update: Update) -> str:
    """The language for the bot's own words: the question's, else the user's app language."""
    message = update.message  # not a callback's: that text is the bot's own
    if message is not None and message.text and not message.text.startswith("/") \
            and has_words(message.text):  # emoji alone say nothing of a language
        return detect_language(message.text)
    user = update.effective_user
    code = (user.language_code or "") if user else ""
    return "id" if code.lower().startswith(("id", "ms")) else "en"
