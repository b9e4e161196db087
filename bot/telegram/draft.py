"""Showing an LLM's answer in a chat while it is written, then the verified answer.

The engine writes in a worker thread and reports the text so far through ``on_text``; this
module hands it to the event loop and edits one placeholder message with it, at most once
every :data:`DRAFT_EVERY` seconds (Telegram limits edits per chat, and a reader gains nothing
from faster ones). The draft is plain text (no markup to break half-way through a reply).
When the answer is final the handlers edit the placeholder into the verified answer, so the
chat keeps one message per answer. A failed edit only costs the draft: drafts are cosmetic.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from telegram import Message
from telegram.error import TelegramError

__all__ = ["DRAFT_EVERY", "ChatDraft", "drafting"]

log = logging.getLogger(__name__)

#: Seconds between two edits of a draft.
DRAFT_EVERY = 1.5
#: Telegram's message limit, less room for the header.
_MAX_DRAFT = 3900


class ChatDraft:
    """The draft of one answer, as a reply to ``message``.

    Args:
        message: The question's message; the draft replies to it.
        header: The line above the draft (that it is not yet checked).
        every: Seconds between edits.
    """

    def __init__(self, message: Message, header: str, every: float = DRAFT_EVERY) -> None:
        self._message, self._header, self._every = message, header, every
        self._loop = asyncio.get_running_loop()
        self._latest = ""
        self._changed = asyncio.Event()
        self._closing = False
        self._closed = asyncio.Event()
        #: The placeholder message once the first piece was shown; the answer replaces it.
        self.placeholder: Message | None = None

    def on_text(self, text: str) -> None:
        """The engine's ``on_text``: safe to call from the worker thread."""
        self._loop.call_soon_threadsafe(self._offer, text)

    def _offer(self, text: str) -> None:
        self._latest = text
        self._changed.set()

    async def run(self) -> None:
        """Show the newest text, pausing between edits, until :meth:`close`."""
        shown = ""
        while not self._closing:
            await self._changed.wait()
            self._changed.clear()
            body = f"{self._header}\n\n{self._latest.strip()}"[:_MAX_DRAFT]
            if self._closing or not self._latest.strip() or body == shown:
                continue
            await self._show(body)
            shown = body
            # Pause between edits; text arriving meanwhile stays pending (the event stays
            # set) and close() ends the pause at once.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closed.wait(), self._every)

    async def _show(self, body: str) -> None:
        try:
            if self.placeholder is None:
                self.placeholder = await self._message.reply_text(body, parse_mode=None)
            else:
                await self.placeholder.edit_text(body, parse_mode=None)
        except TelegramError as exc:
            log.debug("draft in chat %s not shown: %s", self._message.chat_id, exc)

    def close(self) -> None:
        """Stop editing after the edit under way, if any."""
        self._closing = True
        self._closed.set()
        self._changed.set()


@contextlib.asynccontextmanager
async def drafting(draft: ChatDraft | None) -> AsyncIterator[Callable[[str], None] | None]:
    """Run ``draft`` (if any) for the block; yields its ``on_text`` (or ``None``).

    On exit the draft stops once an edit under way is done, never half-way through sending
    the placeholder, so the placeholder is either known to the caller or was never sent.
    """
    if draft is None:
        yield None
        return
    task = asyncio.create_task(draft.run())
    try:
        yield draft.on_text
    finally:
        draft.close()
        await task
