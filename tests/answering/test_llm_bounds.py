"""LLM calls are bounded whatever the server does: one deadline per answer, a cap on the reply.

Hostile servers (:class:`fake_openai.FakeOpenAI` on loopback: dripping, silent, flooding,
never-ending, each streamed and not) meet the real client (:class:`OpenAIChat` on the
``openai`` package), then the engine with a streamed draft, then ``kabar ask``. Each call must
end within its deadline (checked as a generous bound, ``deadline * 1.5 + 2``, with pytest
timeouts as hang guards), ask the server once unless a retry fits in the time left, read no
more than the cap, fall back to the articles saying why, and never show the API key.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fake_openai import FakeOpenAI
from test_llm_frontends import FAITHFUL, KEY, PARIS, QUESTION, citing, kabar_ask, llm_settings
from test_telegram import running_bot

from retrieval.answering.llm.chat import Message, OpenAIChat
from retrieval.config import Settings
from retrieval.embedding import Embedder
from retrieval.engine import Engine
from retrieval.errors import LlmError
from retrieval.text.lexicon import Lexicon

DEADLINE = 1.5
CAP = 1000
SENTENCE = "The talks in Paris were mediated by the United States [1]."
MESSAGES: list[Message] = [{"role": "user", "content": "Who mediated the talks in Paris?"}]
MB = 1024 * 1024

#: Servers that cannot answer in time: (reply settings, streamed).
SLOW = {
    "drip-5-bytes-a-second-json": ({"drip": 5}, False),
    "drip-5-bytes-a-second-stream": ({"drip": 5}, True),
    "drip-1-byte-a-second-json": ({"drip": 1}, False),
    "drip-1-byte-a-second-stream": ({"drip": 1}, True),
    "silent-json": ({"silent": True}, False),
    "silent-stream": ({"silent": True}, True),
    "endless-slow-stream": ({"endless": True, "stream_chunk_delay": 0.05}, True),
    "endless-dripping-json": ({"endless": True, "drip": 200}, False),
}
#: Servers that send far more than the cap: (reply settings, streamed).
FLOODS = {
    "flood-1MB-json": ({"flood": MB}, False),
    "flood-10MB-json": ({"flood": 10 * MB}, False),
    "endless-json": ({"endless": True}, False),
    "flood-1MB-stream": ({"flood": MB}, True),
    "flood-10MB-stream": ({"flood": 10 * MB}, True),
    "endless-stream": ({"endless": True}, True),
}


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def chat(server: FakeOpenAI, deadline: float = DEADLINE, cap: int = CAP) -> OpenAIChat:
    return OpenAIChat(server.url, "fake", KEY, timeout=deadline, max_tokens=64, max_chars=cap)


def call(client: OpenAIChat, streamed: bool) -> tuple[Callable[[], str], list[str]]:
    """A thunk making the call, and the pieces ``on_delta`` will have seen."""
    pieces: list[str] = []
    on_delta = pieces.append if streamed else None
    return lambda: client.complete(MESSAGES, on_delta), pieces


def within(started: float, deadline: float = DEADLINE) -> bool:
    """Whether the time since ``started`` is within the deadline, with slack for a busy box."""
    return time.monotonic() - started < deadline * 1.5 + 2


# --- the client ------------------------------------------------------------------------------

@pytest.mark.timeout(60)
@pytest.mark.parametrize(("reply", "streamed"), SLOW.values(), ids=SLOW.keys())
def test_a_slow_server_costs_one_deadline_and_one_request(
        llm: FakeOpenAI, reply: dict[str, Any], streamed: bool) -> None:
    llm.reply(SENTENCE, **reply)
    thunk, pieces = call(chat(llm), streamed)
    started = time.monotonic()
    with pytest.raises(LlmError, match=r"^the LLM did not answer within 1\.5 s$") as error:
        thunk()
    assert within(started)
    assert len(llm.requests) == 1  # no hidden retry after the time ran out
    assert sum(map(len, pieces)) <= CAP and KEY not in str(error.value)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(("reply", "streamed"), FLOODS.values(), ids=FLOODS.keys())
def test_a_flood_is_read_no_further_than_the_cap(llm: FakeOpenAI, reply: dict[str, Any],
                                                  streamed: bool) -> None:
    llm.reply(SENTENCE, **reply)
    thunk, pieces = call(chat(llm), streamed)
    started = time.monotonic()
    if streamed:
        # Read up to the cap, then cut at the last whole sentence: every sentence left is
        # still verified by the writer.
        text = thunk()
        assert CAP - len(SENTENCE) <= len(text) <= CAP and text.endswith("[1].")
        assert text.split(SENTENCE) == [""] + [" "] * (text.count(SENTENCE) - 1) + [""]
        assert 0 < sum(map(len, pieces)) <= CAP
    else:
        # A JSON reply is used whole or not at all: past the byte cap it cannot be parsed.
        with pytest.raises(LlmError, match=r"reply was too long: over 77536 bytes, the most "
                                           r"KABAR_LLM_MAX_REPLY_CHARS allows$"):
            thunk()
    assert within(started) and len(llm.requests) == 1


@pytest.mark.parametrize("streamed", [False, True], ids=["json", "stream"])
def test_a_reply_over_the_cap_is_cut_at_its_last_whole_sentence(
        llm: FakeOpenAI, streamed: bool) -> None:
    llm.reply("Qatar mediated the talks [1]. Egypt hosted them [2]. "
              "The parties then agreed that the talks had not ended [1][2]. Later on.")
    read = "Qatar mediated the talks [1]. Egypt hosted them [2]. The parties then agreed that"
    thunk, pieces = call(chat(llm, cap=len(read)), streamed)
    assert thunk() == "Qatar mediated the talks [1]. Egypt hosted them [2]."
    assert "".join(pieces) == (read if streamed else "")  # the draft stops at the cap too


@pytest.mark.parametrize("streamed", [False, True], ids=["json", "stream"])
def test_a_reply_over_the_cap_without_a_whole_sentence_is_not_used(
        llm: FakeOpenAI, streamed: bool) -> None:
    llm.reply("word " * 500)
    thunk, _ = call(chat(llm, cap=300), streamed)
    with pytest.raises(LlmError, match="reached the KABAR_LLM_MAX_REPLY_CHARS cap before a "
                                       "whole sentence"):
        thunk()


@pytest.mark.timeout(60)
def test_a_stream_that_is_one_endless_line_stops_at_the_byte_cap(llm: FakeOpenAI) -> None:
    # No event ever ends, so no piece of text ever arrives: only the bytes can be counted.
    llm.reply("", body=b"data: " + b"x" * (10 * MB))
    started = time.monotonic()
    with pytest.raises(LlmError, match="reply was too long"):
        call(chat(llm, deadline=30), streamed=True)[0]()
    assert within(started, 30) and len(llm.requests) == 1


@pytest.mark.parametrize("streamed", [False, True], ids=["json", "stream"])
def test_a_reply_exactly_as_long_as_the_cap_is_untouched(llm: FakeOpenAI, streamed: bool
                                                         ) -> None:
    text = f"{SENTENCE} And then a last sentence with no citation"
    llm.reply(text)
    thunk, pieces = call(chat(llm, cap=len(text)), streamed)
    assert thunk() == text and "".join(pieces) == (text if streamed else "")


@pytest.mark.timeout(60)
def test_a_busy_server_is_tried_once_more_only_while_time_is_left(llm: FakeOpenAI) -> None:
    llm.reply("", status=503)
    started = time.monotonic()
    with pytest.raises(LlmError, match="HTTP 503"):
        chat(llm, deadline=10).complete(MESSAGES)
    assert len(llm.requests) == 2 and within(started, 10)
    # Too little time for a second try: none.
    with pytest.raises(LlmError, match="HTTP 503"):
        chat(llm, deadline=0.8).complete(MESSAGES)
    assert len(llm.requests) == 3


def test_a_failed_request_is_not_tried_again(llm: FakeOpenAI) -> None:
    llm.reply("", status=500)  # a broken server stays broken
    with pytest.raises(LlmError, match="HTTP 500"):
        chat(llm, deadline=10).complete(MESSAGES)
    assert len(llm.requests) == 1


@pytest.mark.timeout(60)
def test_a_proxy_from_the_environment_is_used_unless_bypassed(
        llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy",
                 "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    llm.reply(SENTENCE)
    with FakeOpenAI() as dead:
        proxy = dead.base
    monkeypatch.setenv("HTTP_PROXY", proxy)  # nobody listens there any more
    with pytest.raises(LlmError, match="cannot reach the LLM"):
        chat(llm, deadline=5).complete(MESSAGES)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert chat(llm, deadline=5).complete(MESSAGES) == SENTENCE


# --- the engine, with a streamed draft ---------------------------------------------------------

@pytest.fixture
def engine(real_index: Settings, real_embedder: Embedder, llm: FakeOpenAI) -> Engine:
    return Engine(llm_settings(real_index, llm, llm_timeout=DEADLINE,
                               llm_max_reply_chars=CAP), real_embedder, Lexicon.load())


@pytest.mark.e2e
@pytest.mark.timeout(120)
@pytest.mark.parametrize("reply", [{"drip": 5}, {"silent": True},
                                   {"endless": True, "stream_chunk_delay": 0.05}],
                         ids=["drip", "silent", "endless-slow"])
def test_the_draft_obeys_the_deadline_and_the_answer_falls_back(
        engine: Engine, llm: FakeOpenAI, reply: dict[str, Any]) -> None:
    llm.reply_with(citing(FAITHFUL))
    llm.reply("", **reply)
    drafts: list[str] = []
    started = time.monotonic()
    answer = engine.answer(QUESTION, on_text=drafts.append)
    assert within(started)
    assert answer.writer == "extractive" and "Amerika Serikat" in answer.text
    assert answer.fallback == "the LLM did not answer within 1.5 s"
    assert all(len(d) <= CAP for d in drafts) and len(llm.requests) == 1


@pytest.mark.e2e
@pytest.mark.timeout(120)
@pytest.mark.parametrize("reply", [{"flood": MB}, {"flood": 10 * MB}, {"endless": True}],
                         ids=["1MB", "10MB", "endless"])
def test_a_flooded_draft_stops_at_the_cap_and_the_answer_says_it_once(
        engine: Engine, llm: FakeOpenAI, reply: dict[str, Any]) -> None:
    llm.reply_with(citing(FAITHFUL))
    llm.reply("", **reply)
    drafts: list[str] = []
    started = time.monotonic()
    answer = engine.answer(QUESTION, on_text=drafts.append)
    assert within(started)
    assert 0 < len(drafts[-1]) <= CAP and drafts[-1].startswith(f"{FAITHFUL} [")
    # The verified sentences, each said once (the model repeated itself for a megabyte).
    assert (answer.writer, answer.text, answer.dropped) == ("llm", f"{FAITHFUL} [1].", 0)


@pytest.mark.e2e
@pytest.mark.timeout(180)
def test_a_flood_gives_the_bot_one_short_answer(real_index: Settings, real_embedder: Embedder,
                                                  llm: FakeOpenAI) -> None:
    llm.reply_with(citing(FAITHFUL))
    llm.reply("", flood=MB)
    settings = llm_settings(real_index, llm, llm_timeout=20)
    engine = Engine(settings, real_embedder, Lexicon.load())
    with running_bot(settings, lambda: engine) as bot:
        chat_id = 6161
        bot.server.push_message(chat_id, QUESTION)
        bot.server.wait_for(lambda: any(m.reply_markup for m in bot.server.messages(chat_id)),
                            60, "the verified answer")
        messages = bot.server.messages(chat_id)
    # Was: 246 messages for a 1 MB reply.
    assert len(messages) == 1 and f"{FAITHFUL} [1]" in messages[0].text
    assert messages[0].text.count(FAITHFUL) == 1 and KEY not in messages[0].text


# --- kabar ask -------------------------------------------------------------------------------

@pytest.mark.e2e
@pytest.mark.timeout(300)
@pytest.mark.parametrize(("reply", "why"), [
    ({"drip": 5}, "did not answer within 2 s"),
    ({"silent": True}, "did not answer within 2 s"),
    ({"flood": MB}, "reply was too long"),
    ({"flood": 10 * MB}, "reply was too long"),
    ({"endless": True}, "reply was too long"),
], ids=["drip", "silent", "flood-1MB", "flood-10MB", "endless"])
def test_kabar_ask_prints_a_bounded_answer_from_the_articles(
        real_index: Settings, llm: FakeOpenAI, reply: dict[str, Any], why: str) -> None:
    llm.reply_with(citing(FAITHFUL, phrase=PARIS))
    llm.reply("", **reply)
    run = kabar_ask(real_index, llm, QUESTION, "--json", timeout=2)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["writer"] == "extractive" and "Amerika Serikat" in answer["answer"]
    assert why in run.stderr and "Traceback" not in run.stderr
    # The answer quotes the articles: a few kilobytes whatever the server sent.
    assert len(run.stdout) < 20_000 and len(run.stderr) < 2_000
    assert KEY not in run.stdout + run.stderr and len(llm.requests) == 1
