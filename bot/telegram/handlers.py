"""The bot's handlers: small functions around the shared engine, one error handler.

Every question runs in a worker thread while updates are processed concurrently: answers the
LLM writes in their own bounded pool (:mod:`.pools`; when it is full the extractive answer is
given at once), everything else in the default executor, so a slow LLM never holds up other
chats. Questions of one chat are answered in order (a per-chat lock), which keeps follow-ups
and their history consistent. All message text comes from :mod:`bot.telegram.render`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import re
from collections.abc import AsyncIterator, Sequence
from typing import cast

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import TelegramError

from bot.app import plain_writer
from bot.telegram import render as tf
from bot.telegram.draft import ChatDraft, drafting
from bot.telegram.flood import FloodWaitTooLong
from bot.telegram.pools import LlmPool
from bot.telegram.state import ChatState, Context, chat_state, engine_of, user_lang
from bot.texts import EXAMPLES, text
from retrieval.config import Settings
from retrieval.engine import Engine
from retrieval.types import Answer, Question, Turn

__all__ = ["Handlers"]

log = logging.getLogger(__name__)

SOURCES_PER_PAGE = 10
#: Telegram shows "typing…" for about 5 s per chat action, so it is renewed a little sooner.
TYPING_EVERY = 4.5
_COMMAND_PREFIX = re.compile(r"^/\S*")


class Handlers:
    """The bot's handlers; they share the settings (allow list, rate limit, LLM pool size).

    Attributes:
        llm: The pool LLM-written answers run in (shut down by the application's shutdown).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.llm = LlmPool(settings.llm_workers)
        self._plain = plain_writer(settings)

    async def admitted(self, update: Update, lang: str) -> bool:
        """Whether the chat may use the bot; other chats get a one-line refusal."""
        chat = update.effective_chat
        allowed = self.settings.allowed_chats
        if chat is None or not allowed or chat.id in allowed:
            return True
        log.info("refused chat %s", chat.id)
        query = update.callback_query
        if query is not None:
            await query.answer(text(lang, "refused"))
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text(lang, "refused"), parse_mode=None)
        return False

    async def start(self, update: Update, context: Context) -> None:
        """/start and /help: what the bot knows and how to ask."""
        lang = user_lang(update, context)
        if await self.admitted(update, lang) and update.effective_message:
            info = engine_of(context).info()
            await update.effective_message.reply_html(tf.start_html(info, lang))

    async def status(self, update: Update, context: Context) -> None:
        """/status: index size, model and last update (of the newest published version)."""
        lang = user_lang(update, context)
        if await self.admitted(update, lang) and update.effective_message:
            engine = engine_of(context)
            await asyncio.to_thread(engine.refresh)
            await update.effective_message.reply_html(tf.status_html(engine.info(), lang))

    async def sources(self, update: Update, context: Context) -> None:
        """/sources: the first page of indexed articles, with next/previous buttons."""
        lang = user_lang(update, context)
        if await self.admitted(update, lang) and update.effective_message:
            html, keyboard = await self._sources_page(context, 0, lang)
            await update.effective_message.reply_html(html, reply_markup=keyboard)

    async def sources_page(self, update: Update, context: Context) -> None:
        """A next/previous button of /sources: show that page in the same message."""
        query = cast(CallbackQuery, update.callback_query)
        lang = user_lang(update, context)
        if not await self.admitted(update, lang):
            return
        await query.answer()
        page = int((query.data or "src:0").split(":", 1)[1])
        html, keyboard = await self._sources_page(context, page, lang)
        await query.edit_message_text(html, reply_markup=keyboard)

    async def _sources_page(self, context: Context, page: int, lang: str
                            ) -> tuple[str, InlineKeyboardMarkup | None]:
        articles = await asyncio.to_thread(engine_of(context).articles)
        pages = tf.page_count(len(articles), SOURCES_PER_PAGE)
        page = min(max(page, 0), pages - 1)
        buttons = []
        if page > 0:
            buttons.append(InlineKeyboardButton(text(lang, "prev"),
                                                callback_data=f"src:{page - 1}"))
        if page < pages - 1:
            buttons.append(InlineKeyboardButton(text(lang, "next"),
                                                callback_data=f"src:{page + 1}"))
        keyboard = InlineKeyboardMarkup([buttons]) if buttons else None
        return tf.sources_page_html(articles, page, SOURCES_PER_PAGE, lang), keyboard

    async def ask_command(self, update: Update, context: Context) -> None:
        """/ask QUESTION (also /ask@botname), in any chat."""
        message = cast(Message, update.effective_message)
        question = _COMMAND_PREFIX.sub("", message.text or "", count=1).strip()
        if question:
            await self._answer(update, context, question)
        else:
            await self._hint(update, context, "ask_usage")

    async def private_text(self, update: Update, context: Context) -> None:
        """Any text in a private chat is a question; whitespace-only text is ignored."""
        text = cast(Message, update.effective_message).text or ""
        if text.strip():
            await self._answer(update, context, text)

    async def group_text(self, update: Update, context: Context) -> None:
        """In groups, only messages that mention the bot or reply to it are questions
        (every text with ``KABAR_GROUP_MODE=all``)."""
        message = cast(Message, update.effective_message)
        if self.settings.group_mode != "all" and not (
                _replies_to_me(message, context) or _mentions_me(message, context)):
            return
        username = context.bot.username or ""
        question = re.sub(rf"@{re.escape(username)}\b", " ", message.text or "",
                          flags=re.IGNORECASE).strip() if username else (message.text or "")
        if question:
            await self._answer(update, context, question)
        else:
            await self._hint(update, context, "ask_usage")

    async def not_text(self, update: Update, context: Context) -> None:
        """Photos, stickers, voice...: a short hint (in groups only when addressed)."""
        message = cast(Message, update.effective_message)
        if message.chat.type != ChatType.PRIVATE and not (
                _replies_to_me(message, context) or _mentions_me(message, context)):
            return
        await self._hint(update, context, "not_text")

    async def _hint(self, update: Update, context: Context, key: str) -> None:
        """Reply with a one-line hint on how to ask (with an example question)."""
        lang = user_lang(update, context)
        if await self.admitted(update, lang) and update.effective_message:
            await update.effective_message.reply_text(
                text(lang, key, example=EXAMPLES[lang][0]), parse_mode=None)

    async def _answer(self, update: Update, context: Context, typed: str) -> None:
        """Answer one question: allow list, rate limit, "typing…", engine, reply."""
        message = cast(Message, update.effective_message)
        engine = engine_of(context)
        question = engine.prepare(typed)  # cleaned and its language found, once
        if not await self.admitted(update, question.lang):
            return
        if not question.text:
            return
        chat = self._chat(context)
        wait = chat.session.wait_seconds()
        if wait:
            await message.reply_text(
                text(question.lang, "slow_down", n=self.settings.rate_limit_per_minute,
                     s=wait), parse_mode=None)
            return
        if not question.has_words:  # emoji, punctuation: nothing to answer or follow up
            await self._no_words(update, context, chat.session.history())
            return
        async with _typing(context, message.chat_id), chat.lock:
            answer, placeholder = await self._write(engine, message, question,
                                                    chat.session.history())
            if answer.fallback:  # the operator's concern, not the user's
                log.warning("answered chat %s without the LLM: %s", message.chat_id,
                            answer.fallback)
            last = await _send_answer(message, answer, placeholder)
            chat.session.remember(answer, last.message_id)

    def _chat(self, context: Context) -> ChatState:
        return chat_state(context, self.settings.rate_limit_per_minute)

    async def _write(self, engine: Engine, message: Message, question: Question,
                     history: Sequence[Turn]) -> tuple[Answer, Message | None]:
        """The answer, and the draft message it replaces (if one was shown).

        With an LLM writer the answer is written in the LLM pool, its draft shown while it is
        written; when the pool is full, or without an LLM, the chosen plain writer's answer
        (``KABAR_ANSWER_WRITER``, the LLM writer's fallback) is written in the default
        executor at once."""
        if self.settings.llm_url:
            draft = ChatDraft(message, text(question.lang, "drafting"))
            job = self.llm.submit(lambda: engine.answer(question, None, history, draft.on_text))
            if job is not None:
                async with drafting(draft):
                    return await job, draft.placeholder
        answer = await asyncio.to_thread(engine.answer, question, None, history, None,
                                         self._plain)
        if self.settings.llm_url and not answer.abstained:  # (it would not have been asked)
            answer = dataclasses.replace(
                answer, fallback=f"all {self.llm.workers} LLM threads were busy "
                                 "(KABAR_LLM_WORKERS)")
        return answer, None

    async def _no_words(self, update: Update, context: Context, history: Sequence[Turn]
                        ) -> None:
        """A message with no words: a hint in the chat's language (its last answer's, else
        the user's app language), never the previous answer again."""
        message = cast(Message, update.effective_message)
        lang = history[-1].answer.lang if history else user_lang(update, context)
        await message.reply_text(text(lang, "no_words", example=EXAMPLES[lang][0]),
                                 parse_mode=None)

    async def show_quote(self, update: Update, context: Context) -> None:
        """A citation button: answer the callback, then reply with the quoted passage."""
        query = cast(CallbackQuery, update.callback_query)
        lang = user_lang(update, context)
        if not await self.admitted(update, lang):
            return
        message = query.message
        n = int((query.data or "q:0").split(":", 1)[1])
        answer = self._chat(context).session.answer_for(message.message_id) if message else None
        citation = next((c for c in answer.citations if c.n == n), None) if answer else None
        if message is None or answer is None or citation is None:
            await query.answer(text(lang, "expired"))
            return
        await query.answer()
        await context.bot.send_message(
            message.chat.id, tf.passage_html(citation, answer.lang),
            reply_parameters=ReplyParameters(message.message_id))

    async def on_error(self, update: object, context: Context) -> None:
        """The one error handler: log the traceback, tell the user briefly."""
        update_id = update.update_id if isinstance(update, Update) else None
        chat = update.effective_chat if isinstance(update, Update) else None
        if isinstance(context.error, FloodWaitTooLong):
            # Telegram will not take the reply now; an apology would be refused just the same.
            log.error("could not deliver the reply to update %s in chat %s: %s", update_id,
                      chat.id if chat else None, context.error)
            return
        log.error("failed to handle update %s", update_id, exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        try:
            await context.bot.send_message(update.effective_chat.id,
                                           text(user_lang(update, context), "apology"),
                                           parse_mode=None)
        except TelegramError as exc:
            log.warning("could not send the apology to chat %s: %s",
                        update.effective_chat.id, exc)


def _replies_to_me(message: Message, context: Context) -> bool:
    replied = message.reply_to_message
    return bool(replied and replied.from_user and replied.from_user.id == context.bot.id)


def _mentions_me(message: Message, context: Context) -> bool:
    username = (context.bot.username or "").casefold()
    entities = message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION])
    entities.update(message.parse_caption_entities(
        [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]))
    for entity, shown in entities.items():
        if entity.type == MessageEntity.MENTION and shown.casefold() == f"@{username}":
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user \
                and entity.user.id == context.bot.id:
            return True
    return False


@contextlib.asynccontextmanager
async def _typing(context: Context, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" in the chat until the block ends, without delaying the work."""

    async def keep_typing() -> None:
        while True:
            try:
                await context.bot.send_chat_action(chat_id, ChatAction.TYPING)
            except TelegramError as exc:  # the indicator is cosmetic; never fail an answer
                log.debug("typing indicator for chat %s failed: %s", chat_id, exc)
            await asyncio.sleep(TYPING_EVERY)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _send_answer(message: Message, answer: Answer,
                       placeholder: Message | None = None) -> Message:
    """Send the answer's parts; the last one carries the citation buttons. Returns it.

    With a ``placeholder`` (the draft of an LLM's answer) the first part replaces it."""
    parts = tf.answer_html(answer)
    buttons = [InlineKeyboardButton(label, callback_data=f"q:{n}")
               for label, n in tf.citation_buttons(answer)]
    keyboard = InlineKeyboardMarkup([buttons[i:i + 4] for i in range(0, len(buttons), 4)]) \
        if buttons else None
    quote = message.chat.type != ChatType.PRIVATE  # in groups, show which question this answers
    sent = message
    for i, part in enumerate(parts):
        markup = keyboard if i == len(parts) - 1 else None
        if i == 0 and placeholder is not None and await _replace(placeholder, part, markup):
            sent = placeholder
            continue
        sent = await message.reply_html(part, do_quote=quote and i == 0, reply_markup=markup)
    return sent


async def _replace(placeholder: Message, html: str,
                   markup: InlineKeyboardMarkup | None) -> bool:
    """Edit a draft into the answer; False (the draft deleted, if possible) when Telegram
    will not, so the answer is sent as a new message instead."""
    try:
        await placeholder.edit_text(html, parse_mode=ParseMode.HTML, reply_markup=markup)
        return True
    except TelegramError as exc:
        log.warning("could not replace the draft in chat %s: %s", placeholder.chat_id, exc)
    with contextlib.suppress(TelegramError):
        await placeholder.delete()
    return False
