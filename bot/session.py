"""One conversation with Kabar, whatever the front end: the REPL's session, one bot chat.

A :class:`ChatSession` remembers, bounded in size and age:

- the recent turns, passed to the engine as history so a follow-up question ("Who mediated
  them?") borrows the previous question's words;
- when questions were asked, for a per-minute rate limit;
- the recent answers, so a citation can still be shown after the answer (the REPL's
  ``:show N``, the bot's "Quote [n]" buttons).

It does no I/O and holds no lock: a front end that answers one conversation from several
threads or tasks serialises them itself (the bot keeps a lock per chat beside its session).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

from retrieval.types import Answer, Turn

__all__ = ["ChatSession"]

#: The window of a rate limit, in seconds: limits are per minute.
RATE_WINDOW = 60.0


class ChatSession:
    """What one conversation remembers.

    Args:
        turns: The earlier turns kept as history (the oldest is forgotten first).
        max_age: Seconds after which a turn no longer counts as history (``None``: never).
        rate_limit: Questions allowed per minute (0: no limit).
        keep: The answers kept for their citations (the oldest is forgotten first).
        clock: Seconds from a monotonic clock (a test passes its own).
    """

    def __init__(self, turns: int, max_age: float | None = None, rate_limit: int = 0,
                 keep: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate_limit = rate_limit
        self._max_age = max_age
        self._keep = max(1, keep)
        self._clock = clock
        self._turns: deque[tuple[float, Turn]] = deque(maxlen=max(0, turns))
        self._asked: deque[float] = deque()
        self._answers: OrderedDict[Hashable, Answer] = OrderedDict()
        self._last: Answer | None = None

    def history(self) -> tuple[Turn, ...]:
        """The turns that still count as history, oldest first."""
        now = self._clock()
        return tuple(turn for when, turn in self._turns
                     if self._max_age is None or now - when < self._max_age)

    def wait_seconds(self) -> int:
        """Seconds until another question is allowed, or 0: then the question is counted."""
        now = self._clock()
        while self._asked and now - self._asked[0] >= RATE_WINDOW:
            self._asked.popleft()
        if self.rate_limit and len(self._asked) >= self.rate_limit:
            return max(1, math.ceil(RATE_WINDOW - (now - self._asked[0])))
        self._asked.append(now)
        return 0

    def remember(self, answer: Answer, key: Hashable = None) -> None:
        """Keep ``answer`` as the newest turn and for its citations.

        Args:
            answer: The answer given (its ``question`` is the turn's question).
            key: What the front end will look the answer up by (the bot: the id of the
                message that carries its buttons); ``None`` when only the last one matters.
        """
        self._turns.append((self._clock(), Turn(answer.question, answer)))
        self._last = answer
        self._answers[key] = answer
        self._answers.move_to_end(key)
        while len(self._answers) > self._keep:
            self._answers.popitem(last=False)

    @property
    def last_answer(self) -> Answer | None:
        """The newest answer, or ``None`` before the first (or after :meth:`clear`)."""
        return self._last

    def answer_for(self, key: Hashable) -> Answer | None:
        """The kept answer remembered under ``key``, or ``None`` when it was forgotten."""
        return self._answers.get(key)

    def clear(self) -> None:
        """Forget the conversation: history and kept answers (the rate limit still counts)."""
        self._turns.clear()
        self._answers.clear()
        self._last = None
