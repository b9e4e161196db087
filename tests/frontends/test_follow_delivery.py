"""Alerts are delivered exactly once whatever Telegram and the process do: 429s and dropped
connections during the fan-out delay alerts, never drop or repeat them; a chat that blocked
the bot is unsubscribed; a bot killed (SIGKILL) while alerting sends the rest after its
restart, repeating at most the messages that were in flight (the send/record window,
docs/telegram.md). Groups: only commands, replies and mentions, unless widened.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from conftest import default_signals
from fake_telegram import FakeTelegram
from test_follow import CAIRO, STORY, Index, alerts, started
from test_telegram import GROUP, KABAR, kabar_bot_env

from bot.follow import FollowStore
from bot.telegram import alerts as sender
from bot.telegram import flood
from retrieval.building.indexer import build_index
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder
from retrieval.store import open_store

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

CHATS = list(range(601, 613))


@pytest.fixture
def index(tmp_path: Path, real_embedder: Embedder) -> Index:
    return Index(tmp_path, real_embedder)


def test_429s_and_dropped_connections_delay_alerts_never_drop_or_repeat_them(
        index: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flood, "RETRY_PAUSE", 0.05)
    monkeypatch.setattr(sender, "RETRY_FIRST", 0.2)
    with FakeTelegram() as server, started(index, server) as bot:
        for chat in CHATS:
            bot.ask(chat, f"/follow {STORY}")
        server.flood("sendMessage", times=3, retry_after=1)
        server.drop("sendMessage", times=6)  # past the limiter's retries: the outbox retries
        index.publish("cairo.txt", CAIRO)
        server.wait_for(lambda: all(alerts(server, c) for c in CHATS), 90, "every alert")
        bot.quiet(CHATS[0], 1.0)
        assert [len(alerts(server, c)) for c in CHATS] == [1] * len(CHATS)
        assert [c for c in server.calls("sendMessage") if c.status == 429]


def test_a_chat_that_blocked_the_bot_is_unsubscribed(index: Index) -> None:
    with FakeTelegram() as server, started(index, server) as bot:
        bot.ask(CHATS[0], f"/follow {STORY}")
        server.fail("sendMessage", 1, 403, "Forbidden: bot was blocked by the user")
        version = index.publish("cairo.txt", CAIRO)
        server.wait_for(index.processed(version), 60, "the update processed")
        store = FollowStore(index.settings.follow_db)
        try:
            server.wait_for(lambda: not store.follows(CHATS[0]), 30, "the chat unsubscribed")
            assert store.next_due() is None  # nothing left to send to it
        finally:
            store.close()
        assert not alerts(server, CHATS[0])


def test_groups_answer_commands_replies_and_mentions_only(index: Index) -> None:
    with FakeTelegram() as server, started(index, server) as bot:
        (reply,) = bot.ask(GROUP, f"/follow@{server.username} {STORY}", chat_type="group")
        assert STORY in reply.text
        bot.server.push_message(GROUP, "gencatan senjata Gaza?", chat_type="group")
        bot.quiet(GROUP, 1.0)
        version = index.publish("cairo.txt", CAIRO)
        server.wait_for(lambda: alerts(server, GROUP), 90, "the group's alert")
        server.wait_for(index.processed(version), 30, "the update processed")
        (listed,) = bot.ask(GROUP, "/following", chat_type="group")
        assert f"1. {STORY}" in listed.text


def test_a_widened_group_answers_every_text(tmp_path: Path, real_embedder: Embedder) -> None:
    index = Index(tmp_path, real_embedder, group_mode="all")
    with FakeTelegram() as server, started(index, server) as bot:
        answer = bot.ask(GROUP, "Apa yang disepakati di Paris?", chat_type="group")
        assert answer


def test_a_bot_killed_while_alerting_sends_the_rest_after_a_restart(
        tmp_path: Path, real_index: Settings, real_embedder: Embedder) -> None:
    chats = list(range(701, 741))
    log = tmp_path / "bot.log"
    with FakeTelegram() as server:
        env = {**kabar_bot_env(tmp_path, server, server.token, real_index),
               "KABAR_FOLLOW_POLL": "0.2"}
        settings = real_index.replace(seeds_dir=tmp_path / "seeds",
                                      index_dir=tmp_path / "index")
        first = Index.processed_in(settings, str(open_store(settings).current_version()))
        bot = _kabar_bot(tmp_path, server, env, log)
        try:
            server.wait_for(first, 60, "the first check")
            for chat in chats:
                server.push_message(chat, f"/follow {STORY}")
            server.wait_for(lambda: all(server.messages(c) for c in chats), 120, "the replies")
            (tmp_path / "seeds" / "cairo.txt").write_text(CAIRO, encoding="utf-8")
            server.flood("sendMessage", times=2, retry_after=1)  # slows the fan-out down
            build_index(settings, lambda: real_embedder)
            server.wait_for(lambda: any(alerts(server, c) for c in chats), 90, "a first alert")
            bot.send_signal(signal.SIGKILL)  # no chance to record anything more
            bot.wait(timeout=30)
            before = sum(len(alerts(server, c)) for c in chats)
            bot = _kabar_bot(tmp_path, server, env, log)
            server.wait_for(lambda: all(alerts(server, c) for c in chats), 120, "every alert")
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=60)
    counts = [len(alerts(server, c)) for c in chats]
    assert min(counts) == 1
    # Only messages in flight at the kill (at most SEND_AT_ONCE) may be sent twice.
    assert sum(counts) - len(chats) <= sender.SEND_AT_ONCE
    assert before < len(chats), "the kill came after the fan-out: nothing was tested"
    assert server.token not in log.read_text(encoding="utf-8")


def _kabar_bot(tmp_path: Path, server: FakeTelegram, env: dict[str, str], log: Path
               ) -> subprocess.Popen[bytes]:
    polls = len(server.calls("getUpdates"))
    with log.open("ab") as sink:
        process = subprocess.Popen([KABAR, "bot", "--no-update"], cwd=tmp_path, env=env,
                                   stdout=sink, stderr=sink, preexec_fn=default_signals)
    server.wait_for(lambda: len(server.calls("getUpdates")) > polls
                    or process.poll() is not None, 120, "`kabar bot` to start polling")
    assert process.poll() is None, log.read_text(encoding="utf-8")[-2000:]
    return process


def test_a_daily_digest_is_sent_once_at_its_time(index: Index) -> None:
    with FakeTelegram() as server, started(index, server) as bot:
        bot.ask(CHATS[0], f"/follow {STORY}")
        version = index.publish("cairo.txt", CAIRO)
        server.wait_for(lambda: alerts(server, CHATS[0]), 90, "the alert")
        server.wait_for(index.processed(version), 30, "the update processed")
        (reply,) = bot.ask(CHATS[0], "/digest daily 00:00")  # due at once, whatever the hour
        assert "Daily digest at 00:00 (Asia/Jakarta)" in reply.text

        def digests() -> list[str]:
            return [m.text for m in server.messages(CHATS[0]) if "📰" in m.text]

        (digest,) = server.wait_for(digests, 30, "the daily digest")
        assert STORY in digest and "cairo.txt" in digest
        bot.quiet(CHATS[0], 1.0)  # once a day: the watcher's next ticks send nothing more
        assert len(digests()) == 1
        (off,) = bot.ask(CHATS[0], "/digest off")
        assert "No daily digest" in off.text
        (usage,) = bot.ask(CHATS[0], "/digest weekly")
        assert "/digest daily HH:MM" in usage.text
