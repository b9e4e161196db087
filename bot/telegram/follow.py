"""The bot's commands for following stories: /follow, /following, /unfollow, /digest, and the
citation buttons of alerts.

They work in private chats and groups alike (a group's follows belong to the group), under
the same allow list as questions. The database is :class:`bot.follow.FollowStore`, kept in
``application.bot_data`` (:data:`FOLLOW`); every call to it and to the engine runs in a
worker thread. All text comes from :mod:`.follow_render` and :mod:`bot.texts`.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import cast

from telegram import CallbackQuery, Message, ReplyParameters, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, filters

from bot.follow import FollowStore, digest_since
from bot.follow.digest import FIRST_DIGEST
from bot.telegram import follow_render as fr
from bot.telegram.alerts import FOLLOW, since_label
from bot.telegram.handlers import Handlers
from bot.telegram.render import escape
from bot.telegram.state import Context, engine_of, user_lang
from bot.texts import lang_of, text

__all__ = ["MENU", "FollowHandlers", "follow_handlers", "store_of"]

_COMMAND = re.compile(r"^/\S*")
_CLOCK = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")
#: An example of what to follow, per language.
_EXAMPLE = {"en": "Gaza ceasefire talks", "id": "perundingan gencatan senjata Gaza"}
#: The command menu's entries for following, per language (``None``: the default menu).
MENU = {
    None: [("follow", "Follow a story: alerts on new reports"),
           ("following", "The stories this chat follows"),
           ("unfollow", "Stop following: /unfollow N or all"),
           ("digest", "New reports since the last digest")],
    "id": [("follow", "Ikuti berita: kabar saat ada laporan baru"),
           ("following", "Berita yang diikuti obrolan ini"),
           ("unfollow", "Berhenti mengikuti: /unfollow N atau all"),
           ("digest", "Laporan baru sejak ringkasan terakhir")],
}


def store_of(context: Context) -> FollowStore:
    return cast(FollowStore, context.bot_data[FOLLOW])


def _argument(update: Update) -> str:
    message = cast(Message, update.effective_message)
    return _COMMAND.sub("", message.text or "", count=1).strip()


class FollowHandlers:
    """The follow commands; they share the question handlers' allow list.

    Args:
        handlers: The bot's question handlers (their settings and allow list).
    """

    def __init__(self, handlers: Handlers) -> None:
        self.handlers = handlers
        self.settings = handlers.settings

    async def _reply(self, update: Update, html: str) -> None:
        await cast(Message, update.effective_message).reply_html(html)

    async def follow(self, update: Update, context: Context) -> None:
        """/follow WORDS: follow a story; the reply shows the newest report already on it."""
        engine = engine_of(context)
        prepared = engine.prepare(_argument(update))
        lang = prepared.lang if prepared.has_words else user_lang(update, context)
        if not await self.handlers.admitted(update, lang):
            return
        if not prepared.has_words:
            await self._reply(update, escape(text(lang, "follow_usage",
                                                     example=_EXAMPLE[lang_of(lang)])))
            return
        chat_id = cast(Message, update.effective_message).chat_id
        store, limit = store_of(context), self.settings.max_follows
        before = await asyncio.to_thread(store.follows, chat_id)
        follow = await asyncio.to_thread(store.follow, chat_id, prepared.text, lang, limit)
        if follow is None:
            await self._reply(update, escape(text(lang, "follow_limit", max=limit)))
            return
        if any(f.id == follow.id for f in before):
            await self._reply(update, escape(text(lang, "already_followed",
                                                     story=follow.story)))
            return
        stories = await asyncio.to_thread(engine.stories, self.settings.follow_min_score)
        newest = await asyncio.to_thread(stories.newest, follow.story, lang)
        confirmation = text(lang, "followed", story=follow.story, n=len(before) + 1, max=limit)
        await self._reply(update, fr.followed_html(confirmation, newest, lang))

    async def following(self, update: Update, context: Context) -> None:
        """/following: the chat's stories, numbered."""
        lang = user_lang(update, context)
        if await self.handlers.admitted(update, lang):
            chat_id = cast(Message, update.effective_message).chat_id
            follows = await asyncio.to_thread(store_of(context).follows, chat_id)
            await self._reply(update, fr.following_html(follows, lang))

    async def unfollow(self, update: Update, context: Context) -> None:
        """/unfollow N or /unfollow all."""
        lang = user_lang(update, context)
        if not await self.handlers.admitted(update, lang):
            return
        argument = _argument(update).casefold()
        if argument not in ("all", "semua") and not argument.isdigit():
            await self._reply(update, escape(text(lang, "unfollow_usage")))
            return
        chat_id = cast(Message, update.effective_message).chat_id
        number = None if not argument.isdigit() else int(argument)
        gone = await asyncio.to_thread(store_of(context).unfollow, chat_id, number)
        if number is not None and not gone:
            reply = text(lang, "unfollow_usage")
        elif number is not None:
            reply = text(lang, "unfollowed", story=gone[0].story)
        else:
            reply = text(lang, "unfollowed_all", n=len(gone))
        await self._reply(update, escape(reply))

    async def digest(self, update: Update, context: Context) -> None:
        """/digest, /digest daily HH:MM, /digest off."""
        lang = user_lang(update, context)
        if not await self.handlers.admitted(update, lang):
            return
        chat_id = cast(Message, update.effective_message).chat_id
        store, zone = store_of(context), self.settings.timezone
        argument = _argument(update).casefold().split()
        if argument[:1] == ["off"]:
            await asyncio.to_thread(store.set_daily, chat_id, None)
            await self._reply(update, escape(text(lang, "daily_off")))
            return
        clock = _CLOCK.fullmatch(argument[1]) if argument[:1] == ["daily"] \
            and len(argument) == 2 else None
        if argument and clock is None:
            await self._reply(update, escape(text(lang, "digest_usage", zone=zone)))
            return
        if clock is not None:
            at = f"{int(clock.group(1)):02d}:{clock.group(2)}"
            await asyncio.to_thread(store.set_daily, chat_id, at)
            await self._reply(update, escape(text(lang, "daily_on", at=at, zone=zone)))
            return
        now = time.time()
        since = await asyncio.to_thread(store.last_digest, chat_id) or now - FIRST_DIGEST
        stories = await asyncio.to_thread(digest_since, store, since, chat_id)
        for part in fr.digest_html(stories, since_label(since, zone), lang):
            await self._reply(update, part)
        await asyncio.to_thread(store.digested, chat_id, now)

    async def show_report(self, update: Update, context: Context) -> None:
        """A citation button of an alert: the report's passage, as a reply to the alert."""
        query = cast(CallbackQuery, update.callback_query)
        lang = user_lang(update, context)
        if not await self.handlers.admitted(update, lang):
            return
        report_id = int((query.data or "fr:0").split(":", 1)[1])
        reports = await asyncio.to_thread(store_of(context).reports, [report_id])
        message = query.message
        if not reports or message is None or reports[0].chat_id != message.chat.id:
            await query.answer(text(lang, "expired"))
            return
        await query.answer()
        await context.bot.send_message(message.chat.id,
                                       fr.report_passage_html(reports[0], reports[0].lang),
                                       reply_parameters=ReplyParameters(message.message_id))


def follow_handlers(handlers: Handlers) -> list[BaseHandler[Update, Context, None]]:
    """The follow commands and the alerts' citation buttons, for ``add_handlers``."""
    follow = FollowHandlers(handlers)
    new = filters.UpdateType.MESSAGE
    return [
        CommandHandler("follow", follow.follow, filters=new),
        CommandHandler("following", follow.following, filters=new),
        CommandHandler("unfollow", follow.unfollow, filters=new),
        CommandHandler("digest", follow.digest, filters=new),
        CallbackQueryHandler(follow.show_report, pattern=r"^fr:\d+$"),
    ]
