"""Credentials written into URLs never reach the terminal or a log line.

The real ``kabar`` runs with a password in ``KABAR_LLM_URL`` / ``KABAR_MILVUS_URI`` (at DEBUG,
where libraries log the most) against servers that are not there; the password must not be in
anything it prints.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import KABAR, default_signals, kabar_env

from bot.logs import RedactingFilter
from bot.telegram.redact import TokenFilter
from retrieval.config import Settings
from retrieval.errors import ConfigError, KabarError, LlmError
from retrieval.redaction import redact_urls

PASSWORD = "Pw0rdZebra77"
KEY = "QueryKey55"
CLOSED = "127.0.0.1:9"  # the discard port: nothing listens there

pytestmark = pytest.mark.timeout(180)


@pytest.mark.parametrize(("text", "shown"), [
    (f"http://bob:{PASSWORD}@llm:8080/v1", "http://***@llm:8080/v1"),
    (f"https://{PASSWORD}@host/x", "https://***@host/x"),  # a token as the user name
    (f"tcp://u:p@ss{PASSWORD}@h:19530", "tcp://***@h:19530"),  # an unescaped @ in it
    (f"at root:{PASSWORD}@milvus:19530 failed", "at ***@milvus:19530 failed"),  # a netloc
    (f"http://h/v1?api_key={KEY}&model=m", "http://h/v1?api_key=***&model=m"),
    (f"http://h/hook?x=1&access_token={KEY}#top", "http://h/hook?x=1&access_token=***#top"),
    ("http://localhost:11434/v1 and a@b.org, n=3", "http://localhost:11434/v1 and a@b.org, n=3"),
])
def test_redact_urls(text: str, shown: str) -> None:
    assert redact_urls(text) == shown


def test_domain_errors_never_hold_a_url_password() -> None:
    for error in (KabarError(f"cannot reach http://u:{PASSWORD}@h"),
                  LlmError(f"cannot reach the LLM at http://u:{PASSWORD}@h/v1")):
        assert PASSWORD not in str(error) and PASSWORD not in repr(error.args)


@pytest.mark.parametrize("variable", ["KABAR_LLM_URL", "KABAR_MILVUS_URI"])
def test_a_rejected_url_setting_is_shown_without_its_password(variable: str) -> None:
    env = {variable: f"ftp://admin:{PASSWORD}@host/x", "KABAR_LLM_MODEL": "m"}
    with pytest.raises(ConfigError) as caught:
        Settings.load(env=env, dotenv_path=None)
    assert variable in str(caught.value) and "ftp://***@host/x" in str(caught.value)
    assert PASSWORD not in str(caught.value)


def test_the_log_filter_redacts_messages_arguments_and_tracebacks() -> None:
    try:
        raise RuntimeError(f"connect to http://u:{PASSWORD}@h failed")
    except RuntimeError:
        record = logging.LogRecord("httpx", logging.WARNING, __file__, 1, "request to %s: %s",
                                   (f"http://u:{PASSWORD}@h/x?token={KEY}", "boom"),
                                   sys.exc_info())
    assert RedactingFilter().filter(record)
    shown = logging.Formatter().format(record)
    assert PASSWORD not in shown and KEY not in shown
    assert "http://***@h/x?token=***" in shown and "RuntimeError" in shown


def test_the_bot_token_filter_is_a_redacting_filter() -> None:
    token = "4242:HardeningTestTokenSecretPart0123456789"
    record = logging.LogRecord("httpx", logging.INFO, __file__, 1, "POST %s", (
        f"https://api.telegram.org/bot{token}/getMe",), None)
    assert isinstance(TokenFilter(token), RedactingFilter)
    TokenFilter(token).filter(record)
    assert token.split(":")[1] not in record.getMessage()


def run_kabar(tmp_path: Path, seeds: Path, *args: str, **env: str
              ) -> subprocess.CompletedProcess[str]:
    assert KABAR is not None
    return subprocess.run([KABAR, *args], cwd=tmp_path,
                          env={**kabar_env(tmp_path, seeds), "KABAR_LOG_LEVEL": "DEBUG", **env},
                          capture_output=True, text=True, timeout=150, check=False,
                          preexec_fn=default_signals)


@pytest.mark.skipif(KABAR is None, reason="the kabar console script is not installed")
def test_kabar_ask_never_prints_the_llm_url_password(tmp_path: Path, seeds: Path) -> None:
    url = f"http://bob:{PASSWORD}@{CLOSED}/v1?api_key={KEY}"
    result = run_kabar(tmp_path, seeds, "ask", "Siapa yang memediasi perundingan?",
                       KABAR_LLM_URL=url, KABAR_LLM_MODEL="m")
    assert result.returncode == 0, result.stderr
    assert "[1]" in result.stdout  # answered from the articles instead
    shown = result.stdout + result.stderr
    assert f"http://***@{CLOSED}/v1" in shown  # the failure is still named, with its host
    assert PASSWORD not in shown and KEY not in shown


@pytest.mark.skipif(KABAR is None, reason="the kabar console script is not installed")
def test_kabar_status_and_index_never_print_the_milvus_uri_password(tmp_path: Path,
                                                                    seeds: Path) -> None:
    pytest.importorskip("pymilvus", reason="needs `pip install kabar[milvus]`")
    env = {"KABAR_VECTOR_STORE": "milvus", "KABAR_MILVUS_URI": f"http://root:{PASSWORD}@{CLOSED}"}
    for command in ("status", "index"):
        result = run_kabar(tmp_path, seeds, command, **env)
        assert result.returncode == 1, result.stderr
        assert f"Milvus at http://***@{CLOSED}" in result.stderr
        assert PASSWORD not in result.stdout + result.stderr
