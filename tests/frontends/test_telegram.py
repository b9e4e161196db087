"""The Telegram bot end to end: the real python-telegram-bot application, the real engine
(all-MiniLM model, FAISS) over the seeds, against a fake Bot API server on 127.0.0.1.

Each test starts its own application on its own fake server (startup takes well under a
second because the engine is the session's ``real_engine``), so no state leaks between
tests. Answers are checked for structure — markers, sources, buttons, valid HTML — never for
particular sentences, which belong to the answer stage's own tests.

The formatting functions are unit-tested at the end with synthetic answers.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_telegram import FakeTelegram, Sent, app_thread, check_html, visible_text

from bot import telegram as tg
from bot.telegram import handlers
from bot.telegram import render as tf
from retrieval.building.indexer import build_index
from retrieval.config import Settings
from retrieval.embedding.embed import Embedder
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon
from retrieval.types import Answer, ArticleInfo, Citation, IndexInfo, Turn

KABAR = Path(sys.executable).with_name("kabar")
PARIS = "What was agreed in Paris?"
COAST_DEAD = "Berapa orang tewas dalam kekerasan sektarian di pesisir Suriah?"
KERRY = "Who did John Kerry meet in Moscow?"
GROUP = -1001
SOURCES_EN = "<b>Sources:</b>"


# --- harness ---------------------------------------------------------------------------------

@dataclasses.dataclass
class Bot:
    """A running application and its fake server."""

    server: FakeTelegram
    app: Any
    settings: Settings
    last_update: dict[str, Any] = dataclasses.field(default_factory=dict)

    def ask(self, chat_id: int, text: str, timeout: float = 20, **push: Any) -> list[Sent]:
        """Push a message and return the bot's new messages in that chat once it replied."""
        before = len(self.server.messages(chat_id))
        self.last_update = self.server.push_message(chat_id, text, **push)
        self.server.wait_for(lambda: len(self.server.messages(chat_id)) > before, timeout,
                             f"a reply in chat {chat_id} to {text[:40]!r}")
        time.sleep(0.05)  # let a multi-part reply finish
        return self.server.messages(chat_id)[before:]

    def quiet(self, chat_id: int, seconds: float = 0.5) -> None:
        """Assert the bot neither writes nor types in ``chat_id`` for a while."""
        before = len(self.server.messages(chat_id))
        time.sleep(seconds)
        assert len(self.server.messages(chat_id)) == before
        assert not [c for c in self.server.calls("sendChatAction")
                    if int(c.params["chat_id"]) == chat_id]


@contextlib.contextmanager
def running_bot(settings: Settings, engine_factory: Callable[[], Engine],
                server: FakeTelegram | None = None) -> Iterator[Bot]:
    """Run ``build_application`` + ``run_application`` in a thread; stop it afterwards."""
    with contextlib.ExitStack() as stack:
        if server is None:
            server = stack.enter_context(FakeTelegram())
        settings = settings.replace(telegram_bot_token=server.token,
                                       telegram_api_url=server.base_url)
        app = tg.build_application(settings, engine_factory)
        ready = "setWebhook" if settings.webhook_url else "getUpdates"
        stack.enter_context(app_thread(
            app, lambda: tg.run_application(app, settings, stop_signals=None),
            ready=lambda: server.calls(ready)))
        yield Bot(server, app, settings)


@pytest.fixture
def bot(real_index: Settings, real_engine: Engine) -> Iterator[Bot]:
    """A bot over the seeds index with the default settings."""
    with running_bot(real_index, lambda: real_engine) as running:
        yield running


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def answer_message(messages: list[Sent]) -> Sent:
    """The part of a reply that carries the citation buttons."""
    with_buttons = [m for m in messages if m.reply_markup]
    assert with_buttons, f"no message with buttons among {[m.text for m in messages]}"
    return with_buttons[-1]


def assert_answer_structure(messages: list[Sent], sources_label: str = SOURCES_EN) -> None:
    """Markers in the answer, a numbered sources block, one button per source, valid HTML."""
    for m in messages:
        assert m.parse_mode == "HTML" and check_html(m.text) is None, m.text
    text = "\n".join(m.text for m in messages)
    body, _, sources = text.partition(sources_label)
    assert sources, f"no sources block in {text!r}"
    numbers = re.findall(r"^\[(\d+)\] .+\(.+\.txt\)$", sources, flags=re.MULTILINE)
    assert numbers and numbers == [str(i) for i in range(1, len(numbers) + 1)]
    assert "[1]" in body
    assert set(re.findall(r"\[(\d+)\]", body)) <= set(numbers)
    buttons = answer_message(messages).buttons()
    assert [b["callback_data"] for b in buttons] == [f"q:{n}" for n in numbers]


# --- the end-to-end tests --------------------------------------------------------------------

@pytest.mark.e2e
def test_start_and_help_say_what_the_bot_knows(bot: Bot, real_engine: Engine) -> None:
    info = real_engine.info()
    (start,) = bot.ask(11, "/start")
    assert check_html(start.text) is None
    assert f"{info.articles} Indonesian news articles" in start.text
    assert PARIS in start.text and COAST_DEAD in start.text  # examples in both languages
    assert "/ask" in start.text and "/sources" in start.text
    (help_id,) = bot.ask(11, "/help", language_code="id")
    assert f"{info.articles} artikel berita" in help_id.text


@pytest.mark.e2e
def test_private_question_is_answered_with_citations_and_buttons(bot: Bot) -> None:
    messages = bot.ask(12, PARIS)
    assert_answer_structure(messages)
    assert answer_message(messages).buttons()[0]["text"] == "Quote [1]"
    # "typing…" was shown before the answer arrived
    typing = [c for c in bot.server.calls("sendChatAction") if int(c.params["chat_id"]) == 12]
    assert typing and typing[0].params["action"] == "typing"
    assert typing[0].at <= messages[0].at


@pytest.mark.e2e
def test_indonesian_question_gets_indonesian_labels(bot: Bot) -> None:
    messages = bot.ask(13, COAST_DEAD)
    assert_answer_structure(messages, "<b>Sumber:</b>")
    assert answer_message(messages).buttons()[0]["text"] == "Kutipan [1]"


@pytest.mark.e2e
def test_group_ask_with_bot_name_is_answered(bot: Bot) -> None:
    messages = bot.ask(GROUP, f"/ask@kabar_test_bot {PARIS}", chat_type="supergroup")
    assert_answer_structure(messages)
    assert messages[0].reply_to == bot.last_update["message"]["message_id"]  # quotes it
    assert_answer_structure(bot.ask(GROUP, f"/ask {KERRY}", chat_type="group"))


@pytest.mark.e2e
def test_group_chatter_is_ignored(bot: Bot) -> None:
    bot.server.push_message(GROUP, PARIS, chat_type="group")
    bot.server.push_message(GROUP, f"/ask@some_other_bot {PARIS}", chat_type="group")
    bot.server.push_message(GROUP, "@someone_else what was agreed in Paris?", chat_type="group")
    bot.server.push_photo(GROUP, chat_type="group")
    bot.quiet(GROUP, 1.0)


@pytest.mark.e2e
def test_group_mention_is_answered(bot: Bot) -> None:
    messages = bot.ask(GROUP, f"@kabar_test_bot {PARIS}", chat_type="group")
    assert_answer_structure(messages)


@pytest.mark.e2e
def test_group_reply_to_the_bot_is_answered(bot: Bot) -> None:
    bot.ask(GROUP, "/start", chat_type="group")
    messages = bot.ask(GROUP, KERRY, chat_type="group", reply_to_bot=True)
    assert_answer_structure(messages)


@pytest.mark.e2e
def test_other_chats_are_refused_without_article_content(real_index: Settings,
                                                         real_engine: Engine) -> None:
    settings = real_index.replace(allowed_chats=frozenset({1}))
    with running_bot(settings, lambda: real_engine) as running:
        (refusal,) = running.ask(2, PARIS)
        assert "\n" not in refusal.text and not refusal.reply_markup
        assert "[1]" not in refusal.text and ".txt" not in refusal.text
        assert not [c for c in running.server.calls("sendChatAction")
                    if int(c.params["chat_id"]) == 2]
        (start_refusal,) = running.ask(2, "/sources")
        assert start_refusal.text == refusal.text
        assert_answer_structure(running.ask(1, PARIS))


@pytest.mark.e2e
def test_citation_button_shows_the_quoted_passage(bot: Bot) -> None:
    messages = bot.ask(14, PARIS)
    answer = answer_message(messages)
    source_1 = re.search(r"^\[1\] .+\((.+\.txt)\)$", answer.text, flags=re.MULTILINE)
    assert source_1
    before = len(bot.server.messages(14))
    query = bot.server.push_callback(14, answer.message_id, "q:1")
    bot.server.wait_for(lambda: len(bot.server.messages(14)) > before)
    answered = bot.server.calls("answerCallbackQuery")
    assert [c.params["callback_query_id"] for c in answered] == [query["callback_query"]["id"]]
    (passage,) = bot.server.messages(14)[before:]
    assert check_html(passage.text) is None
    assert passage.reply_to == answer.message_id
    assert passage.text.startswith("<b>[1] ") and source_1.group(1) in passage.text
    assert "<blockquote>" in passage.text and "<b>" in passage.text.split("<blockquote>", 1)[1]


@pytest.mark.e2e
def test_unknown_citation_button_is_answered_without_content(bot: Bot) -> None:
    (start,) = bot.ask(15, "/start")
    bot.server.push_callback(15, start.message_id, "q:1")
    bot.server.wait_for(lambda: bot.server.calls("answerCallbackQuery"))
    assert "ask again" in bot.server.calls("answerCallbackQuery")[0].params["text"]
    bot.quiet(15, 0.3)


@pytest.mark.e2e
def test_sources_are_paged_with_buttons(bot: Bot, real_engine: Engine,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "SOURCES_PER_PAGE", 2)
    articles = real_engine.articles()
    pages = tf.page_count(len(articles), 2)
    (first,) = bot.ask(16, "/sources")
    assert f"page 1 of {pages}" in first.text and articles[0].doc_id in first.text
    assert [b["callback_data"] for b in first.buttons()] == ["src:1"]
    bot.server.push_callback(16, first.message_id, "src:1")
    bot.server.wait_for(lambda: bot.server.messages(16)[0].edits == 1)
    second = bot.server.messages(16)[0]
    assert f"page 2 of {pages}" in second.text and articles[2].doc_id in second.text
    assert [b["callback_data"] for b in second.buttons()] == ["src:0", "src:2"]
    assert len(bot.server.calls("answerCallbackQuery")) == 1


@pytest.mark.e2e
def test_status_shows_index_size_model_and_update(bot: Bot, real_engine: Engine) -> None:
    info = real_engine.info()
    (status,) = bot.ask(17, "/status")
    assert check_html(status.text) is None
    assert f"Articles: {info.articles}" in status.text and info.model in status.text
    assert info.version in status.text and "Last update: " in status.text


@pytest.mark.e2e
def test_html_in_the_question_is_escaped_and_long_questions_are_cut(bot: Bot) -> None:
    messages = bot.ask(18, f"{PARIS} <b>& <i>")
    assert all(check_html(m.text) is None for m in messages)
    assert all("<b>&" not in m.text and "<i>" not in m.text for m in messages)
    long_question = f"{PARIS} <b>& " * 60  # over the 1,000-character limit
    messages = bot.ask(18, long_question)
    assert all(check_html(m.text) is None for m in messages)
    assert messages[0].text.startswith("<i>Your question was cut to 1000 characters.</i>")


@pytest.mark.e2e
def test_ask_without_a_question_explains_how(bot: Bot) -> None:
    (hint,) = bot.ask(19, "/ask")
    assert "/ask What was agreed in Paris?" in hint.text


@pytest.mark.e2e
def test_follow_up_questions_use_the_chat_history(bot: Bot, real_engine: Engine) -> None:
    follow_up = "What did they agree on?"
    first = real_engine.answer(KERRY)
    with_history = tf.answer_html(real_engine.answer(follow_up, history=[Turn(KERRY, first)]))
    if with_history == tf.answer_html(real_engine.answer(follow_up)):
        pytest.skip("the engine answers this follow-up the same without history; pick another")
    bot.ask(20, KERRY)
    assert [m.text for m in bot.ask(20, follow_up)] == with_history
    # another chat has no such history
    assert [m.text for m in bot.ask(21, follow_up)] != with_history


@pytest.mark.e2e
def test_rate_limit_per_chat(real_index: Settings, real_engine: Engine) -> None:
    settings = real_index.replace(rate_limit_per_minute=2)
    with running_bot(settings, lambda: real_engine) as running:
        assert_answer_structure(running.ask(22, PARIS))
        assert_answer_structure(running.ask(22, KERRY))
        (slow,) = running.ask(22, PARIS)
        assert slow.text.startswith("Slow down") and "2 questions a minute" in slow.text
        assert_answer_structure(running.ask(23, PARIS))  # other chats are not affected


@pytest.mark.e2e
def test_photos_and_stickers_get_a_hint(bot: Bot) -> None:
    before = len(bot.server.messages(24))
    bot.server.push_photo(24)
    bot.server.wait_for(lambda: len(bot.server.messages(24)) > before)
    bot.server.push_sticker(24)
    bot.server.wait_for(lambda: len(bot.server.messages(24)) > before + 1)
    hints = bot.server.messages(24)[before:]
    assert all("I can only read text messages" in h.text for h in hints)


@pytest.mark.e2e
def test_whitespace_only_text_is_ignored(bot: Bot) -> None:
    bot.server.push_message(25, "   \n\t  ")
    bot.quiet(25, 0.5)


@pytest.mark.e2e
def test_handler_failure_is_apologised_for_and_logged(bot: Bot,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="bot.telegram")
    # Telegram refuses the answer itself: the handler fails, the error handler steps in.
    bot.server.fail("sendMessage", 1, 400, "Bad Request: chat not found")
    bot.server.push_message(26, PARIS)
    apology = bot.server.wait_for(lambda: bot.server.messages(26))[0]
    assert apology.text == "Sorry, something went wrong while answering. Please try again."
    bot.server.wait_for(lambda: [r for r in caplog.records if r.exc_info])
    (record,) = [r for r in caplog.records if r.name.startswith("bot.telegram") and r.exc_info]
    assert record.levelno == logging.ERROR and "failed to handle update" in record.getMessage()
    assert "Chat not found" in caplog.text and "Traceback" in caplog.text


@pytest.mark.e2e
# The library's own RetryAfter warns about a future type change of its retry_after attribute.
@pytest.mark.filterwarnings("ignore:Deprecated since version v22.2")
def test_flood_control_is_respected(bot: Bot) -> None:
    bot.server.flood("sendMessage", 1, retry_after=1)
    messages = bot.ask(27, PARIS)
    assert_answer_structure(messages)
    attempts = [c for c in bot.server.calls("sendMessage") if int(c.params["chat_id"]) == 27]
    assert [c.status for c in attempts][:2] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 1.0  # waited as told


@pytest.mark.e2e
def test_token_never_appears_in_logs(real_index: Settings, real_engine: Engine,
                                     caplog: pytest.LogCaptureFixture) -> None:
    token = "1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9"
    caplog.set_level(logging.DEBUG)
    with FakeTelegram(token=token) as server, \
            running_bot(real_index, lambda: real_engine, server) as running:
        # Force the chattiest loggers on, so the test proves redaction rather than silence.
        for name in ("httpx", "httpcore", "telegram"):
            caplog.set_level(logging.DEBUG, logger=name)
        assert_answer_structure(running.ask(28, PARIS))
        server.fail("sendMessage", 1, 400, f"Bad Request: not for {token}")
        server.push_message(28, KERRY)
        server.wait_for(lambda: [r for r in caplog.records if r.exc_info])
    assert "/getUpdates" in caplog.text and "[bot token]" in caplog.text
    secret = token.split(":")[1]
    assert token not in caplog.text and secret not in caplog.text
    assert not [r for r in caplog.records if secret in r.getMessage()]


@pytest.mark.e2e
def test_new_index_version_is_used_without_restart(tmp_path: Path, real_embedder: Embedder,
                                                   real_index: Settings) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in sorted(os.listdir(real_index.seeds_dir))[:2]:
        shutil.copy2(real_index.seeds_dir / name, seeds / name)
    settings = real_index.replace(seeds_dir=seeds, index_dir=tmp_path / "index")
    build_index(settings, lambda: real_embedder)
    engine = Engine(settings, real_embedder, Lexicon.load())
    question = "Spesies anggrek apa yang ditemukan di Pegunungan Arfak?"
    with running_bot(settings, lambda: engine) as running:
        before = "\n".join(m.text for m in running.ask(29, question))
        assert "arfak.txt" not in before
        (seeds / "arfak.txt").write_text(
            "Manokwari, Kabar Papua – Tim peneliti Universitas Papua menemukan spesies anggrek "
            "baru di Pegunungan Arfak, Papua Barat, Senin (3/3).\n\n"
            "Spesies anggrek yang ditemukan di Pegunungan Arfak itu diberi nama Dendrobium "
            "arfakense, sesuai tempat penemuannya.\n\n"
            "Anggrek tersebut tumbuh di hutan lumut pada ketinggian 2.000 meter dan berbunga "
            "ungu kecil.\n", encoding="utf-8")
        build_index(settings, lambda: real_embedder)
        after = running.ask(29, question)
        assert_answer_structure(after, "<b>Sumber:</b>")
        assert "arfak.txt" in "\n".join(m.text for m in after)
        (status,) = running.ask(29, "/status")
        assert engine.info().version in status.text


@pytest.mark.e2e
def test_webhook_mode_with_secret_token(real_index: Settings, real_engine: Engine) -> None:
    port = free_port()
    settings = real_index.replace(
        webhook_url=f"http://127.0.0.1:{port}/kabar-hook",
        webhook_listen="127.0.0.1", webhook_port=port, webhook_secret="s3cret-token")
    with running_bot(settings, lambda: real_engine) as running:
        webhook = running.server.webhook
        assert webhook == {"url": settings.webhook_url, "secret_token": "s3cret-token"}
        # The fake delivers pushed updates to the webhook with the secret, as Telegram does.
        assert_answer_structure(running.ask(30, PARIS))
        assert running.server.webhook_deliveries == [200]
        forged = urllib.request.Request(settings.webhook_url, data=b"{}", method="POST",
                                        headers={"Content-Type": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(forged, timeout=5)
        assert refused.value.code == 403


# --- the `kabar bot` command -------------------------------------------------------------------

def kabar_bot_env(tmp_path: Path, server: FakeTelegram | None, token: str,
                  real_index: Settings | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KABAR_", "TELEGRAM_"))}
    env.update(TELEGRAM_BOT_TOKEN=token, KABAR_LOG_LEVEL="INFO")
    if server is not None:
        env["TELEGRAM_API_URL"] = server.base_url
    if real_index is not None:
        shutil.copytree(real_index.seeds_dir, tmp_path / "seeds")
        shutil.copytree(real_index.index_dir, tmp_path / "index")
        env.update(KABAR_SEEDS_DIR=str(tmp_path / "seeds"),
                   KABAR_INDEX_DIR=str(tmp_path / "index"),
                   KABAR_EMBEDDING_MODEL=real_index.embedding_model)
    return env


@pytest.mark.e2e
def test_kabar_bot_without_token_says_how_to_get_one(tmp_path: Path) -> None:
    result = subprocess.run([KABAR, "bot"], cwd=tmp_path, env=kabar_bot_env(tmp_path, None, ""),
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == f"kabar: error: {tg.MISSING_TOKEN}"


@pytest.mark.e2e
def test_kabar_bot_with_rejected_token_fails_clearly(tmp_path: Path) -> None:
    token = "999:RejectedSecretValue"
    with FakeTelegram(token=token) as server:
        server.fail("getMe", 1, 401, "Unauthorized")
        result = subprocess.run([KABAR, "bot", "--no-update"], cwd=tmp_path,
                                env=kabar_bot_env(tmp_path, server, token),
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == f"kabar: error: {tg.REJECTED_TOKEN}"
    assert token not in result.stdout


@pytest.mark.e2e
def test_kabar_bot_retries_startup_and_stops_cleanly_on_sigterm(
        tmp_path: Path, real_index: Settings) -> None:
    token = "123:ABC"
    with FakeTelegram(token=token) as server:
        server.fail("getMe", 1, 502, "Bad Gateway")  # a transient failure at startup
        process = subprocess.Popen(
            [KABAR, "bot"], cwd=tmp_path, env=kabar_bot_env(tmp_path, server, token, real_index),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            server.wait_for(lambda: server.calls("getUpdates") or process.poll() is not None,
                            90, "`kabar bot` to start polling")
            assert process.poll() is None, process.communicate()[1]
            assert [c.status for c in server.calls("getMe")][:2] == [502, 200]
            server.push_message(31, PARIS)
            # Stop while the question is being answered: it is still answered.
            server.wait_for(lambda: server.calls("sendChatAction"), 20)
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=20)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
        assert process.returncode == 0, stderr
        assert_answer_structure(server.messages(31))
        assert "could not reach the Telegram Bot API at 127.0.0.1" in stderr  # and retried
        assert token not in stderr and "Traceback" not in stderr


# --- the formatting, unit-tested -------------------------------------------------------------

def _citation(n: int, title: str | None = "Judul <b>&amp;</b>", quote: str = "Kalimat satu.",
              passage: str = "Awal. Kalimat satu. Akhir.") -> Citation:
    return Citation(n=n, doc_id=f"{n:03d}_doc.txt", title=title, source="Outlet & Co",
                    date="2024-02-24T20:35", quote=quote, score=0.9, passage=passage)


def _long_answer() -> Answer:
    sentence = ("Para pejabat <Suriah> & Israel telah mengadakan perundingan di Paris, yang "
                "dimediasi oleh Amerika Serikat, menurut seorang pejabat. ")
    lines = [f"{sentence * (i % 7 + 1)}[{i % 3 + 1}]" for i in range(40)]
    lines.append(("Kata" + "&" * 300 + " ") * 30 + "[1]")  # a paragraph of long "words"
    lines.append("x<&" * 2000 + " [2]")  # one "word" longer than a whole message
    return Answer(question="q", text="\n".join(lines), abstained=False, lang="id",
                  citations=tuple(_citation(n) for n in (1, 2, 3)), cut_to=1000)


def test_long_answer_is_split_into_valid_parts() -> None:
    answer = _long_answer()
    parts = tf.answer_html(answer)
    assert len(parts) > 3
    for part in parts:
        assert tf.length(part) <= tf.MAX_MESSAGE
        assert check_html(part) is None, part[:200]
        assert not re.match(r"\s*\[\d+\]", visible_text(part))  # no marker cut off its sentence
    seen = visible_text("".join(parts))
    for n in (1, 2, 3):
        assert seen.count(f"[{n}]") == answer.text.count(f"[{n}]") + 1  # + its source line
    assert parts[0].startswith("<i>Pertanyaan Anda dipotong menjadi 1000 karakter.</i>")
    assert "<b>Sumber:</b>" in parts[-1] and "[3] Judul &lt;b&gt;&amp;amp;&lt;/b&gt;" in parts[-1]


def test_short_answer_is_one_escaped_message() -> None:
    answer = Answer("q", "AT&T <said> \"x\". [1]", False, "en", (_citation(1, title=None),))
    (part,) = tf.answer_html(answer)
    assert part == ("AT&amp;T &lt;said&gt; \"x\". [1]\n\n<b>Sources:</b>\n"
                    "[1] (untitled) — Outlet &amp; Co, Saturday 24 February 2024 20:35 "
                    "(001_doc.txt)")
    assert tf.citation_buttons(answer) == [("Quote [1]", 1)]


def test_abstention_has_no_sources_or_buttons() -> None:
    answer = Answer("q", "I couldn't find that in the articles.", True, "en")
    assert tf.answer_html(answer) == ["I couldn't find that in the articles."]
    assert tf.citation_buttons(answer) == []


def test_passage_bolds_the_quote_and_lists_quotes_from_elsewhere() -> None:
    citation = _citation(2, quote="Kalimat <satu>. … Dari bagian lain.",
                         passage="Awal & pembuka. Kalimat <satu>. Akhir.")
    html = tf.passage_html(citation, "id")
    assert check_html(html) is None
    assert "<blockquote>Awal &amp; pembuka. <b>Kalimat &lt;satu&gt;.</b> Akhir.</blockquote>" \
        in html
    assert "Juga dikutip dari artikel ini:" in html and "<b>Dari bagian lain.</b>" in html
    huge = tf.passage_html(_citation(1, quote="b", passage="a & b " * 3000))
    assert tf.length(huge) <= tf.MAX_MESSAGE and check_html(huge) is None
    assert huge.endswith("…</blockquote>")


def test_sources_pages_number_across_pages_and_clamp() -> None:
    articles = [ArticleInfo(f"{i:02d}.txt", f"Title {i} <&>", "Outlet", None) for i in range(25)]
    assert tf.page_count(25, 10) == 3 and tf.page_count(0, 10) == 1
    last = tf.sources_page_html(articles, 2, 10)
    assert "page 3 of 3, 25 articles" in last and "21. Title 20 &lt;&amp;&gt;" in last
    assert tf.sources_page_html(articles, 99, 10) == last
    assert check_html(last) is None
    assert tf.sources_page_html([], 0, 10) == "The index holds no articles."


def test_start_and_status_escape_index_facts() -> None:
    info = IndexInfo(version="v<1>", articles=3, chunks=9, model="m&m", dim=4,
                     newest_date="2024-02-24", built_at="2026-01-02T03:04:05+00:00")
    start = tf.start_html(info, "id")
    assert check_html(start) is None and "3 artikel berita Indonesia (terbaru dari 2024-02-24)" \
        in start
    status = tf.status_html(info)
    assert check_html(status) is None
    assert "Model: m&amp;m (4 dimensions)" in status and "Version: v&lt;1&gt;" in status
    assert "Last update: 2026-01-02 03:04 UTC" in status


def test_token_filter_redacts_messages_and_tracebacks() -> None:
    token = "1234567890:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9"
    try:
        raise ValueError(f"The token `{token}` was rejected")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "url %s", (f"/bot{token}/x",),
                                   sys.exc_info())
    assert tg.TokenFilter(token).filter(record)
    text = logging.Formatter().format(record)
    assert token not in text and "AAHdqTcv" not in text and "/bot[bot token]/x" in text
