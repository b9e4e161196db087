"""The test doubles for the LLM writer's transport, through the real client:

- :class:`fake_openai.FakeOpenAI`, driven by :class:`~retrieval.answering.llm.chat.OpenAIChat`
  (and so by the real ``openai`` package): every scripted reply and failure reaches the
  caller as text or as one :class:`~retrieval.errors.LlmError`.
- :func:`llm_server.running_llm` (marked ``llm``): a real tiny model behind llama.cpp's
  server honours the same HTTP contract. Only the shape of its replies is checked: the base
  Gemma 3 270M mostly echoes its prompt.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest
from fake_openai import FakeOpenAI
from llm_server import MODEL, llm_unavailable_reason, running_llm

from retrieval.answering.llm.chat import Message, OpenAIChat
from retrieval.errors import LlmError

KEY = "sk-test-fake-0123456789-never-in-a-prompt"
TEXT = "Perjanjian Paris disepakati oleh 196 negara pada 12 Desember 2015 [1]."
MESSAGES: list[Message] = [
    {"role": "system", "content": "Answer from the passages only and cite them as [n]."},
    {"role": "user", "content": "[1] Pada 12 Desember 2015, 196 negara menyepakati "
                                "Perjanjian Paris untuk membatasi kenaikan suhu global.\n\n"
                                "Question: Apa yang disepakati di Paris?"},
]


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def chat(server: FakeOpenAI, timeout: float = 5, max_tokens: int = 64) -> OpenAIChat:
    return OpenAIChat(server.url, "fake", KEY, timeout=timeout, max_tokens=max_tokens,
                      max_chars=4000)


def streamed(client: OpenAIChat) -> tuple[str, list[str]]:
    """The streamed reply and the pieces ``on_delta`` saw."""
    pieces: list[str] = []
    return client.complete(MESSAGES, on_delta=pieces.append), pieces


# --- replies ---------------------------------------------------------------------------------

def test_a_json_reply_is_returned_and_the_request_recorded(llm: FakeOpenAI) -> None:
    llm.reply(TEXT)
    assert chat(llm, max_tokens=48).complete(MESSAGES) == TEXT
    [request] = llm.requests
    assert request["messages"] == MESSAGES and request["max_tokens"] == 48
    assert request["model"] == "fake" and not request.get("stream")


def test_a_streamed_reply_arrives_in_pieces_that_join_to_the_text(llm: FakeOpenAI) -> None:
    llm.reply(TEXT)
    text, pieces = streamed(chat(llm))
    assert text == TEXT == "".join(pieces) and len(pieces) >= 2
    assert llm.requests[-1]["stream"] is True


def test_a_script_answers_from_the_request_and_survives_a_slower_stream(
        llm: FakeOpenAI) -> None:
    llm.reply_with(lambda request: f"You asked: {request['messages'][-1]['content'].split()[-1]}")
    llm.reply("", stream_chunk_delay=0.01)  # keeps the script, only slows the stream
    text, pieces = streamed(chat(llm))
    assert text == "You asked: Paris?" and len(pieces) == 3


def test_models_are_listed(llm: FakeOpenAI) -> None:
    with urllib.request.urlopen(f"{llm.url}/models", timeout=5) as response:
        listing = json.load(response)
    assert listing["object"] == "list" and listing["data"][0]["id"] == llm.model


def test_the_key_goes_in_the_bearer_header_never_in_the_body(llm: FakeOpenAI) -> None:
    llm.reply(TEXT)
    chat(llm).complete(MESSAGES)
    streamed(chat(llm))
    assert all(KEY not in json.dumps(request) for request in llm.requests)
    assert [h["Authorization"] for h in llm.headers] == [f"Bearer {KEY}"] * 2


# --- failures --------------------------------------------------------------------------------

@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_an_http_error_is_an_llm_error_naming_the_status(llm: FakeOpenAI, stream: bool
                                                         ) -> None:
    llm.reply(TEXT, status=500)
    with pytest.raises(LlmError, match="HTTP 500") as error:
        streamed(chat(llm)) if stream else chat(llm).complete(MESSAGES)
    assert KEY not in str(error.value)


@pytest.mark.parametrize(("delay", "chunk_delay"), [(10.0, 0.0), (0.0, 10.0)],
                         ids=["no-answer", "stalled-stream"])
def test_a_slow_server_times_out_quickly(llm: FakeOpenAI, delay: float, chunk_delay: float
                                         ) -> None:
    llm.reply(TEXT, delay=delay, stream_chunk_delay=chunk_delay)
    started = time.monotonic()
    with pytest.raises(LlmError, match=r"did not answer within 0\.5 s"):
        streamed(chat(llm, timeout=0.5))
    # One retry plus its back-off: about 1.5 s. A guard against hanging, not a benchmark.
    assert time.monotonic() - started < 3.5


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_refusal_is_an_llm_error(llm: FakeOpenAI, stream: bool) -> None:
    llm.reply(TEXT, refusal="I cannot help with that.")
    with pytest.raises(LlmError, match="refused"):
        streamed(chat(llm)) if stream else chat(llm).complete(MESSAGES)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_an_empty_reply_is_an_llm_error(llm: FakeOpenAI, stream: bool) -> None:
    llm.reply("")
    with pytest.raises(LlmError, match="empty reply"):
        streamed(chat(llm)) if stream else chat(llm).complete(MESSAGES)


@pytest.mark.parametrize(("body", "stream"), [
    (b"<html>Bad gateway</html>", False),
    (b'{"id": "x", "object": "chat.completion"}', False),
    (b'data: {"choices": [{"delta": {"content": "Hal\n\n', True),
    (b'{"choices": []}', False),
    (b"[1, 2]", False),
    (b'{"choices": [{"message": null}]}', False),
], ids=["not-json", "no-choices", "broken-event", "empty-choices", "array", "null-message"])
def test_a_malformed_reply_is_an_llm_error(llm: FakeOpenAI, body: bytes, stream: bool
                                           ) -> None:
    llm.reply("", body=body)
    with pytest.raises(LlmError):
        streamed(chat(llm)) if stream else chat(llm).complete(MESSAGES)


def test_a_broken_script_fails_the_test_that_set_it() -> None:
    def script(request: dict[str, object]) -> str:
        raise KeyError("passages")

    with pytest.raises(AssertionError, match="KeyError: 'passages'"), FakeOpenAI() as server:
        server.reply_with(script)
        with pytest.raises(LlmError, match="HTTP 500"):
            chat(server).complete(MESSAGES)


def test_closing_does_not_wait_for_a_delayed_reply() -> None:
    with FakeOpenAI() as server:
        server.reply(TEXT, delay=30)
        with pytest.raises(LlmError):
            chat(server, timeout=0.3).complete(MESSAGES)
        started = time.monotonic()
    assert time.monotonic() - started < 2
    assert not [t for t in threading.enumerate() if t.name == "fake-openai"]


# --- the real model --------------------------------------------------------------------------

def real(url: str, timeout: float, max_tokens: int) -> OpenAIChat:
    return OpenAIChat(url, MODEL, "", timeout=timeout, max_tokens=max_tokens, max_chars=4000)


@pytest.mark.llm
def test_a_real_local_llm_honours_the_http_contract() -> None:
    if reason := llm_unavailable_reason():
        pytest.skip(reason)
    with running_llm() as url:
        # The base model never ends its turn by itself, so max_tokens bounds every call
        # (~20 tokens/s with one thread on a busy machine).
        text = real(url, 60, 48).complete(MESSAGES)
        assert text.strip()
        text, pieces = streamed(real(url, 60, 16))
        assert len(pieces) >= 2 and "".join(pieces) == text
        # A whole 48-token JSON reply cannot be ready in 0.2 s.
        with pytest.raises(LlmError, match="did not answer within"):
            real(url, 0.2, 48).complete(MESSAGES)
        # The server dropped the abandoned requests and still answers.
        assert real(url, 60, 8).complete(MESSAGES)
