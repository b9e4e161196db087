"""The LLM writer through the front ends, against a fake OpenAI-compatible server on loopback:
``kabar ask`` (JSON fields, the fallback notice, the key never shown), the REPL (the draft
streamed then replaced) and the Telegram bot end to end (the draft edited at a bounded rate,
then replaced by the verified answer; errors fall back quietly).

The fake server answers with a script that reads the passages from the request, as a model
would, and cites the passage that holds a given phrase.
"""

from __future__ import annotations

import io
import itertools
import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import KABAR, default_signals
from fake_openai import FakeOpenAI
from llm_server import MODEL, llm_unavailable_reason, running_llm
from test_telegram import running_bot

from bot.repl import Repl
from retrieval.config import Settings
from retrieval.embedding import Embedder
from retrieval.engine import Engine
from retrieval.text.lexicon import Lexicon

pytestmark = pytest.mark.e2e

KEY = "sk-test-0123456789abcdef-never-shown"
QUESTION = "Who mediated the talks in Paris?"
PARIS = "dimediasi oleh Amerika Serikat"
FAITHFUL = "The talks in Paris were mediated by the United States"
INVENTED = "The talks were mediated by Egypt and ended with a treaty"
_BLOCK = re.compile(r"^\[(\d+)\] [^\n]*\n<passage>\n(.*?)\n</passage>", re.M | re.S)


def citing(*sentences: str, phrase: str = PARIS) -> Callable[[dict[str, Any]], str]:
    """A reply script: each sentence cites the sent passage holding ``phrase``."""

    def script(request: dict[str, Any]) -> str:
        blocks = _BLOCK.findall(request["messages"][-1]["content"])
        n = next((n for n, text in blocks if phrase in text), "1")
        return " ".join(f"{s} [{n}]." for s in sentences)

    return script


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def llm_settings(settings: Settings, server: FakeOpenAI, **changes: Any) -> Settings:
    return settings.replace(llm_url=server.url, llm_model="fake", llm_api_key=KEY, **changes)


# --- kabar ask -------------------------------------------------------------------------------

def kabar_ask(settings: Settings, server: FakeOpenAI, *args: str, timeout: float = 5
              ) -> subprocess.CompletedProcess[str]:
    env = {"KABAR_INDEX_DIR": str(settings.index_dir), "KABAR_SEEDS_DIR": str(settings.seeds_dir),
           "KABAR_EMBEDDING_MODEL": settings.embedding_model, "KABAR_LLM_URL": server.url,
           "KABAR_LLM_MODEL": "fake", "KABAR_LLM_API_KEY": KEY,
           "KABAR_LLM_TIMEOUT": str(timeout), "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    if "PYTHONPATH" in os.environ:  # a checkout run from a shared virtualenv: its own code
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run([str(KABAR), "ask", "--no-update", *args], env=env, text=True,
                          capture_output=True, timeout=180, preexec_fn=default_signals,
                          check=False)


def test_kabar_ask_json_reports_the_writer_and_dropped_sentences(
        real_index: Settings, llm: FakeOpenAI) -> None:
    llm.reply_with(citing(FAITHFUL, INVENTED))
    run = kabar_ask(real_index, llm, QUESTION, "--json")
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["writer"] == "llm" and answer["dropped"] == 1
    assert answer["answer"] == f"{FAITHFUL} [1]." and "Egypt" not in run.stdout
    assert "Amerika Serikat" in answer["citations"][0]["quote"]
    assert KEY not in run.stdout + run.stderr
    request = llm.requests[-1]
    assert KEY not in json.dumps(request) and request["max_tokens"] > 0
    assert any(KEY in str(h.get("Authorization", "")) for h in llm.headers)


def test_kabar_ask_falls_back_with_a_notice_on_stderr(real_index: Settings,
                                                      llm: FakeOpenAI) -> None:
    llm.reply("", status=500)
    run = kabar_ask(real_index, llm, QUESTION, "--json")
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["writer"] == "extractive" and "Amerika Serikat" in answer["answer"]
    notices = [line for line in run.stderr.splitlines() if "LLM" in line]
    assert notices == ["kabar: The LLM's answer was not used (the LLM server answered HTTP "
                       "500); this answer quotes the articles."]
    assert "Traceback" not in run.stderr and KEY not in run.stdout + run.stderr


def test_kabar_ask_times_out_and_falls_back(real_index: Settings, llm: FakeOpenAI) -> None:
    llm.reply(f"{FAITHFUL} [1].", delay=8)
    run = kabar_ask(real_index, llm, QUESTION, timeout=1)
    assert run.returncode == 0 and "Amerika Serikat" in run.stdout
    assert "did not answer within 1 s" in run.stderr and "Traceback" not in run.stderr


# --- the REPL --------------------------------------------------------------------------------

@pytest.fixture
def llm_engine(real_index: Settings, real_embedder: Embedder, llm: FakeOpenAI) -> Engine:
    return Engine(llm_settings(real_index, llm), real_embedder, Lexicon.load())


def test_repl_streams_the_draft_then_shows_the_verified_answer(
        llm_engine: Engine, llm: FakeOpenAI) -> None:
    llm.reply_with(citing(FAITHFUL, INVENTED))
    out = io.StringIO()
    Repl(llm_engine, stdin=io.StringIO(f"{QUESTION}\n"), stdout=out, stream=True).run()
    shown = out.getvalue()
    draft, _, final = shown.partition("\x1b[J")
    assert "(draft, being checked against the articles)" in draft and "Egypt" in draft
    assert f"{FAITHFUL} [1]." in final and "Egypt" not in final
    assert llm.requests[-1]["stream"] is True


def test_repl_without_a_terminal_prints_only_the_verified_answer(
        llm_engine: Engine, llm: FakeOpenAI) -> None:
    llm.reply_with(citing(FAITHFUL, INVENTED))
    out = io.StringIO()
    Repl(llm_engine, stdin=io.StringIO(f"{QUESTION}\n"), stdout=out).run()
    assert f"{FAITHFUL} [1]." in out.getvalue() and "Egypt" not in out.getvalue()
    assert "draft" not in out.getvalue() and "\x1b" not in out.getvalue()


# --- the Telegram bot ------------------------------------------------------------------------

def test_bot_edits_a_draft_at_a_bounded_rate_then_shows_the_verified_answer(
        real_index: Settings, llm_engine: Engine, llm: FakeOpenAI) -> None:
    words = len(f"{FAITHFUL} [1]. {INVENTED} [1].".split())
    llm.reply_with(citing(FAITHFUL, INVENTED))
    llm.reply("", stream_chunk_delay=4.0 / words)  # a slow stream: about 4 s
    with running_bot(llm_settings(real_index, llm), lambda: llm_engine) as bot:
        chat = 4242
        bot.server.push_message(chat, QUESTION)
        final = bot.server.wait_for(
            lambda: next((m for m in bot.server.messages(chat) if m.reply_markup), None), 60,
            "the verified answer")
        messages = bot.server.messages(chat)
    assert len(messages) == 1 and final.edits >= 2  # the draft, edited, became the answer
    assert f"{FAITHFUL} [1]" in final.text and "Egypt" not in final.text
    assert "draft" not in final.text and final.parse_mode == "HTML"
    edits = [c.at for c in bot.server.calls("editMessageText")]
    drafts = edits[:-1]  # the last edit puts the verified answer in
    assert all(b - a >= 1.4 for a, b in itertools.pairwise(drafts)), edits
    assert KEY not in json.dumps([c.params for c in bot.server.calls()])


def test_bot_falls_back_quietly_when_the_llm_fails(
        real_index: Settings, llm_engine: Engine, llm: FakeOpenAI) -> None:
    llm.reply("", status=500)
    with running_bot(llm_settings(real_index, llm), lambda: llm_engine) as bot:
        [message] = bot.ask(5151, QUESTION, timeout=60)
    assert "Amerika Serikat" in message.text and "LLM" not in message.text
    assert message.edits == 0  # no draft was shown



# --- a real local model --------------------------------------------------------------------

@pytest.mark.llm
def test_a_real_base_model_is_verified_and_its_inventions_dropped(real_index: Settings) -> None:
    """The base Gemma 3 270M cannot answer; it writes fluent inventions. Every one of its
    sentences must fail verification, and ``kabar ask`` must answer from the articles."""
    reason = llm_unavailable_reason()
    if reason:
        pytest.skip(reason)
    with running_llm() as url:
        env = {"KABAR_INDEX_DIR": str(real_index.index_dir),
               "KABAR_SEEDS_DIR": str(real_index.seeds_dir),
               "KABAR_EMBEDDING_MODEL": real_index.embedding_model, "KABAR_LLM_URL": url,
               "KABAR_LLM_MODEL": MODEL, "KABAR_LLM_TIMEOUT": "120",
               "KABAR_LLM_MAX_TOKENS": "96", "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
        run = subprocess.run([str(KABAR), "ask", "--no-update", "--json",
                              "What was agreed in Paris?"], env=env, text=True,
                             capture_output=True, timeout=300, preexec_fn=default_signals,
                             check=False)
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert answer["writer"] == "extractive" and not answer["abstained"]
    assert "stabilitas" in answer["answer"]
    assert "could be verified" in run.stderr or "sent an empty reply" in run.stderr, run.stderr
