"""The Telegram bot's hardening (issue 16), each case pinned end to end where it can be.

- LLM-written answers run in their own bounded pool: while every LLM thread is stuck, other
  chats still get (extractive) answers at once and nothing more is sent to the LLM.
- SIGTERM always ends ``kabar bot``, even with worker threads stuck in LLM calls: after
  ``KABAR_STOP_GRACE`` seconds, or at once on a second signal.
- A send that fails with a network error (a 502, a dropped connection) is retried with
  growing pauses, a bounded number of times; a 400 is not retried.
- ``TELEGRAM_API_URL`` without http(s):// or /bot is a one-line error at once.
- A message with no words gets a hint in the chat's language, never the previous answer
  again (in the bot, the engine and the REPL).

The bot runs against the fake Bot API of ``fake_telegram.py`` and, with an LLM, the fake
OpenAI server of ``fake_openai.py`` scripted to stall (its ``delay``).
"""

from __future__ import annotations

import asyncio
import functools
import io
import itertools
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import default_signals
from fake_openai import FakeOpenAI
from fake_telegram import FakeTelegram
from test_telegram import (
    COAST_DEAD,
    GROUP,
    KABAR,
    KERRY,
    PARIS,
    Bot,
    answer_message,
    assert_answer_structure,
    kabar_bot_env,
    running_bot,
)

from bot.repl import Repl
from bot.telegram import flood
from bot.telegram.pools import LlmPool
from bot.telegram.stop import FORCED_EXIT
from bot.texts import EXAMPLES, text
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder
from retrieval.engine import Engine
from retrieval.errors import ConfigError
from retrieval.search.followup import follow_up_context, is_follow_up
from retrieval.text.lexicon import Lexicon
from retrieval.types import Turn

pytestmark = pytest.mark.e2e

QUESTION = "Who mediated the talks in Paris?"
APOLOGY = "Sorry, something went wrong while answering. Please try again."
#: Longer than any test runs: an LLM call against the stalled server never ends by itself.
STALL = 300.0


@pytest.fixture
def bot(real_index: Settings, real_engine: Engine) -> Iterator[Bot]:
    with running_bot(real_index, lambda: real_engine) as running:
        yield running


@pytest.fixture
def stalled_llm() -> Iterator[FakeOpenAI]:
    """An LLM server that takes every request and never answers (until it is closed)."""
    with FakeOpenAI() as server:
        server.reply("Never sent [1].", delay=STALL)
        yield server


def llm_env(llm: FakeOpenAI, **more: str) -> dict[str, str]:
    return {"KABAR_LLM_URL": llm.url, "KABAR_LLM_MODEL": "fake", "KABAR_LLM_TIMEOUT": "600",
            **more}


# --- 1. LLM answers in their own bounded pool -------------------------------------------------

@pytest.mark.timeout(300)
def test_stuck_llm_calls_never_keep_other_chats_waiting(
        real_index: Settings, real_embedder: Embedder, stalled_llm: FakeOpenAI) -> None:
    settings = real_index.replace(llm_url=stalled_llm.url, llm_model="fake", llm_timeout=600,
                                  llm_workers=2)
    engine = Engine(settings, real_embedder, Lexicon.load())
    with running_bot(settings, lambda: engine) as running:
        server = running.server
        for chat in (101, 102):
            server.push_message(chat, QUESTION)
        server.wait_for(lambda: len(stalled_llm.requests) == 2, 60, "two LLM calls")
        # Both LLM threads are stuck. Before the pool, six such calls took every worker
        # thread; now more LLM questions and a command are answered at once, from the
        # articles, and the LLM is not asked again.
        for chat in (103, 104, 105, 106):
            assert_answer_structure(running.ask(chat, QUESTION, timeout=60))
        (status,) = running.ask(107, "/status", timeout=60)
        assert "Articles:" in status.text
        assert len(stalled_llm.requests) == 2
        assert not server.messages(101) and not server.messages(102)  # still being written
        # The stalled server goes away: those two fall back to the extractive answer too.
        stalled_llm.close()
        for chat in (101, 102):
            server.wait_for(functools.partial(answered, server, chat), 120,
                            f"the answer in chat {chat}")
            assert_answer_structure(server.messages(chat))


def answered(server: FakeTelegram, chat: int) -> bool:
    """Whether the bot's answer (the message with the citation buttons) is in ``chat``."""
    return any(m.reply_markup for m in server.messages(chat))


def test_the_llm_pool_never_queues_and_frees_a_thread_when_its_call_ends() -> None:
    async def scenario() -> None:
        pool = LlmPool(2)
        release = threading.Event()
        first = pool.submit(release.wait)
        second = pool.submit(release.wait)
        assert first is not None and second is not None
        assert pool.submit(lambda: True) is None and pool.busy == 2  # full: not queued
        release.set()
        assert await first and await second
        await asyncio.sleep(0.05)  # the slots are freed by the threads' done callbacks
        third = pool.submit(lambda: "again")
        assert third is not None and await third == "again"
        pool.shutdown()
        assert pool.submit(lambda: True) is None  # stopping: no new calls

    asyncio.run(scenario())


# --- 2. SIGTERM always ends the bot ----------------------------------------------------------

def start_kabar_bot(tmp_path: Path, server: FakeTelegram, real_index: Settings,
                    env: dict[str, str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [KABAR, "bot", "--no-update"], cwd=tmp_path,
        env={**kabar_bot_env(tmp_path, server, server.token, real_index), **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals)
    server.wait_for(lambda: server.calls("getUpdates") or process.poll() is not None, 120,
                    "`kabar bot` to start polling")
    assert process.poll() is None, process.communicate()[1]
    return process


def stop_after(process: subprocess.Popen[str], *signals: int) -> tuple[int, str]:
    """Send ``signals`` one second apart; the exit status and stderr (killed on a hang)."""
    try:
        for i, sig in enumerate(signals):
            if i:
                threading.Event().wait(1.0)
            process.send_signal(sig)
        _, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, stderr


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("grace", "signals"), [
    ("1", (signal.SIGTERM,)),                   # the grace period runs out
    ("600", (signal.SIGTERM, signal.SIGTERM)),  # a second signal does not wait for it
], ids=["grace", "second-signal"])
def test_sigterm_ends_kabar_bot_while_llm_calls_are_stuck(
        tmp_path: Path, real_index: Settings, stalled_llm: FakeOpenAI, grace: str,
        signals: tuple[int, ...]) -> None:
    with FakeTelegram() as server:
        process = start_kabar_bot(tmp_path, server, real_index, llm_env(
            stalled_llm, KABAR_LLM_WORKERS="2", KABAR_STOP_GRACE=grace))
        for chat in (201, 202):
            server.push_message(chat, QUESTION)
        server.wait_for(lambda: len(stalled_llm.requests) == 2, 60, "two stuck LLM calls")
        status, stderr = stop_after(process, *signals)
    assert status == FORCED_EXIT, stderr
    assert "SIGTERM: stopping once the answers in flight are sent" in stderr
    expected = "stopping without them" if len(signals) == 1 else "SIGTERM again: stopping now"
    assert expected in stderr and "Traceback" not in stderr


# --- 3. Transient send failures are retried ---------------------------------------------------

def test_network_failures_of_a_send_are_retried_with_growing_pauses(
        bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flood, "RETRY_PAUSE", 0.2)
    bot.server.fail("sendMessage", 2, 502, "Bad Gateway")
    bot.server.drop("sendMessage", 1)  # the connection closed without an answer
    messages = bot.ask(301, PARIS, timeout=30)
    assert_answer_structure(messages)
    assert APOLOGY not in [m.text for m in messages]
    attempts = [c for c in bot.server.calls("sendMessage") if int(c.params["chat_id"]) == 301]
    assert [c.status for c in attempts][:4] == [502, 502, -1, 200]
    assert attempts[0].params["text"] == attempts[3].params["text"]  # the same message again
    pauses = [b.at - a.at for a, b in itertools.pairwise(attempts[:4])]
    assert pauses[0] >= 0.2 and pauses[1] >= 0.4 and pauses[2] >= 0.8, pauses


def test_sends_are_retried_a_bounded_number_of_times_and_never_after_a_400(
        bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flood, "RETRY_PAUSE", 0.05)
    bot.server.fail("sendMessage", flood.SEND_RETRIES + 1, 502, "Bad Gateway")
    bot.server.push_message(302, PARIS)
    (apology,) = bot.server.wait_for(lambda: bot.server.messages(302), 30)
    assert apology.text == APOLOGY
    statuses = [c.status for c in bot.server.calls("sendMessage")
                if int(c.params["chat_id"]) == 302]
    assert statuses == [502] * (flood.SEND_RETRIES + 1) + [200]
    bot.server.fail("sendMessage", 1, 400, "Bad Request: chat not found")
    bot.server.push_message(303, PARIS)
    (apology,) = bot.server.wait_for(lambda: bot.server.messages(303), 30)
    assert apology.text == APOLOGY
    assert [c.status for c in bot.server.calls("sendMessage")
            if int(c.params["chat_id"]) == 303] == [400, 200]


# --- 4. TELEGRAM_API_URL is checked at start --------------------------------------------------

@pytest.mark.parametrize("url", ["ftp://api.telegram.org/bot", "localhost:8081",
                                 "api.telegram.org/bot", "http://localhost:8081", "https:///bot",
                                 "http://localhost:8081/"])
def test_a_bad_bot_api_url_is_refused_in_one_line(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.load(env={"TELEGRAM_API_URL": url}, dotenv_path=None)
    message = str(refused.value)
    assert message.startswith(f"TELEGRAM_API_URL={url!r} is not accepted: ")
    assert "http://localhost:8081/bot" in message and "\n" not in message


@pytest.mark.parametrize("url", ["https://api.telegram.org/bot", "http://127.0.0.1:8081/bot",
                                 "https://proxy.example.org/telegram/bot",
                                 "https://api.telegram.org/bot{token}/test"])
def test_bot_api_urls_of_the_usual_forms_are_accepted(url: str) -> None:
    assert Settings.load(env={"TELEGRAM_API_URL": url}, dotenv_path=None).telegram_api_url == url


@pytest.mark.timeout(120)
def test_kabar_bot_with_a_bad_api_url_stops_at_once_with_one_line(tmp_path: Path) -> None:
    env = kabar_bot_env(tmp_path, None, "123:ABC")
    env["TELEGRAM_API_URL"] = "ftp://localhost:8081/bot"
    result = subprocess.run([KABAR, "bot", "--no-update"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("kabar: error: TELEGRAM_API_URL='ftp://localhost:8081/bot' is not "
                           "accepted: use the Bot API's http:// or https:// base URL")


# --- 5. A message with no words ---------------------------------------------------------------

def hint(lang: str) -> str:
    return text(lang, "no_words", example=EXAMPLES[lang][0])


def test_a_message_without_words_gets_a_hint_not_the_previous_answer(bot: Bot) -> None:
    assert_answer_structure(bot.ask(401, PARIS))
    for wordless in ("🙂", "?!", "👍👍 …", "***"):
        (reply,) = bot.ask(401, wordless)
        assert reply.text == hint("en") and not reply.reply_markup
    assert_answer_structure(bot.ask(402, COAST_DEAD), "<b>Sumber:</b>")
    (reply,) = bot.ask(402, "🙏")  # the chat's language: its last answer's
    assert reply.text == hint("id")
    (reply,) = bot.ask(403, "😀", language_code="id")  # no history: the app's language
    assert reply.text == hint("id")
    (reply,) = bot.ask(GROUP, "/ask 🙂", chat_type="group")
    assert reply.text == hint("en")
    # The wordless message is no turn of the conversation: a follow-up still follows KERRY.
    bot.ask(404, KERRY)
    bot.ask(404, "🤔")
    follow_up = answer_message(bot.ask(404, "Who did he meet?"))
    assert "[1]" in follow_up.text


def test_the_engine_and_the_repl_hint_at_a_message_without_words(real_engine: Engine) -> None:
    first = real_engine.answer(KERRY)
    wordless = real_engine.answer("🙂 ?!", history=[Turn(KERRY, first)])
    assert wordless.abstained and wordless.reason == "no_words" and not wordless.citations
    assert not is_follow_up("🙂 ?!") and is_follow_up("Who did he meet?")
    history = [Turn(KERRY, first), Turn(wordless.question, wordless)]
    assert follow_up_context("Who did he meet?", history) == KERRY
    out = io.StringIO()
    Repl(real_engine, stdin=io.StringIO(f"{PARIS}\n🙂\n"), stdout=out).run()
    shown = out.getvalue()
    assert hint("en") in shown
    paris = real_engine.answer(PARIS).text.splitlines()[0]
    assert shown.count(paris) == 1  # answered once, not again for the emoji
