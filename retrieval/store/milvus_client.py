"""This process's Milvus client: one per URI, every call bounded by a timeout.

A URI ending in ``.db`` is Milvus Lite, started inside this process (one process per
``.db``); ``http://host:19530`` is a Milvus server or cluster. The token is passed to
pymilvus and never shown. Every call is bounded by ``KABAR_MILVUS_TIMEOUT`` (pymilvus'
retries included), so a server that stops answering is one error line after that long,
never a hang; a restarted server is reached again by the next call (gRPC reconnects).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from retrieval.errors import ConfigError, CorruptIndexError, IndexWriteError, KabarError
from retrieval.redaction import redact_urls
from retrieval.store import milvus_caps, milvus_local

__all__ = ["check_installed", "connect", "failures", "install_hint", "is_lite", "session_client",
           "session_mode", "shown_uri", "unreachable", "use"]

INSTALL = "pip install kabar[milvus]"
_SERVER_SCHEMES = ("http://", "https://", "tcp://", "unix:")
#: ``KABAR_MILVUS_TIMEOUT``'s default, for callers without settings (the contract tests).
_TIMEOUT = 10.0
#: Calls that build or load segments (flushes, index builds, loading a collection): 30 times
#: the timeout.
_SLOW = frozenset({"flush", "load_collection", "create_collection", "create_index"})
_clients: dict[tuple[str, str], Any] = {}
_session: list[tuple[str, str, float]] = []


def install_hint() -> str:
    """The one-line error when pymilvus (or milvus-lite for a local path) is missing."""
    return f"KABAR_VECTOR_STORE=milvus needs pymilvus and milvus-lite — {INSTALL}"


def connect(uri: str, token: str = "", wait: float = 0.0, timeout: float = _TIMEOUT) -> Any:
    """The ``MilvusClient`` of ``uri`` for this process (one per URI, reused), each call
    bounded by ``timeout`` seconds.

    Args:
        uri: A Milvus Lite path (``….db``) or a server's URI.
        token: The server's token (never shown).
        wait: Seconds to keep trying while another process holds the Milvus Lite ``.db``
            (a build that just finished is still exiting).
        timeout: ``KABAR_MILVUS_TIMEOUT``.

    Raises:
        ConfigError: pymilvus is not installed, or Milvus cannot be opened or reached.
    """
    if (uri, token) in _clients:
        return _Bounded(_clients[uri, token], uri, timeout)
    local = is_lite(uri)
    check_installed(local)
    from pymilvus import MilvusClient

    deadline = time.monotonic() + wait
    while True:
        start = time.monotonic()
        try:
            if local:
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
            client = MilvusClient(uri=uri, token=token, timeout=timeout)
            break
        except Exception as exc:
            held = local and milvus_local.held_elsewhere(Path(uri))
            if not held or time.monotonic() >= deadline:
                # A server that let the whole timeout pass did not answer; one that failed
                # sooner while listening refused this client.
                silent = time.monotonic() - start >= 0.9 * timeout
                raise ConfigError(_connect_error(uri, token, exc, held, silent)) from None
            time.sleep(0.2)
    _clients[uri, token] = client
    return _Bounded(client, uri, timeout)


class _Bounded:
    """A ``MilvusClient`` whose calls pass ``timeout`` (unless given one: pymilvus retries
    a failed call up to 75 times over minutes otherwise) and fail, when Milvus does not
    answer, with one line naming ``KABAR_MILVUS_URI`` (a restarted server is reached again
    by the next call)."""

    def __init__(self, client: Any, uri: str, timeout: float) -> None:
        self._client = client
        self._uri = uri
        self._timeout = timeout

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr) or name in ("prepare_index_params", "create_schema"):
            return attr
        bound = self._timeout * (30 if name in _SLOW else 1)

        def call(*args: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("timeout", bound)
            with self._answering():
                return attr(*args, **kwargs)

        return call

    @contextlib.contextmanager
    def _answering(self) -> Iterator[None]:
        try:
            yield
        except Exception as exc:
            # pymilvus raises grpc's own error when the deadline passes inside a call.
            if type(exc).__module__.split(".")[0] not in ("pymilvus", "grpc") or \
                    not unreachable(exc):
                raise
            raise ConfigError(f"Milvus at {shown_uri(self._uri)} does not answer "
                              f"({_reason(exc)[:160]}) — start it, or fix KABAR_MILVUS_URI "
                              f"(each call waits at most KABAR_MILVUS_TIMEOUT="
                              f"{self._timeout:g} s)") from None


def unreachable(exc: Exception) -> bool:
    """Whether a pymilvus failure means that Milvus did not answer (stopped, restarting,
    slower than the timeout), as opposed to refusing the request."""
    code = getattr(exc, "code", "")
    text = f"{code() if callable(code) else code} {_reason(exc)}".lower()
    return any(word in text for word in ("unavailable", "deadline", "retry timeout",
                                         "fail connecting", "connection refused"))


def _reason(exc: Exception) -> str:
    """The first line of a pymilvus or grpc error, any URL credentials in it redacted."""
    details = getattr(exc, "details", None)  # grpc's errors: details() is the short text
    text = str((details() if callable(details) else getattr(exc, "message", "")) or exc)
    lines = redact_urls(text).strip().splitlines()
    return lines[0] if lines else ""


def shown_uri(uri: str) -> str:
    """``uri`` with any credentials in it (``user:password@``, ``?token=``) shown as ``***``,
    for messages: the same redaction every error and log line gets."""
    return redact_urls(uri)


def is_lite(uri: str) -> bool:
    """Whether ``uri`` is a Milvus Lite path (opened inside this process)."""
    return not uri.startswith(_SERVER_SCHEMES)


def check_installed(local: bool) -> None:
    """Raise the one-line install hint when pymilvus (or Milvus Lite) is missing, and keep
    the libraries' own logging off the terminal.

    Raises:
        ConfigError: A package is missing.
    """
    # gRPC's C core logs keepalive chatter (GOAWAY "too_many_pings") to stderr at ERROR
    # level; Kabar reports what fails itself. An operator's own setting wins.
    os.environ.setdefault("GRPC_VERBOSITY", "NONE")
    try:
        import pymilvus  # noqa: F401
        if local:
            import milvus_lite  # noqa: F401  (pymilvus starts it for a .db path)
    except ImportError:
        raise ConfigError(install_hint()) from None
    # pymilvus logs every failed call with a traceback, Milvus Lite (its server runs in this
    # process) every failed request and a .db it cannot open (41 lines when another process
    # holds it): each failure becomes Kabar's own one-line error instead.
    for name in ("pymilvus", "milvus_lite", "grpc._server"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _connect_error(uri: str, token: str, exc: Exception, held: bool, silent: bool) -> str:
    if held:
        return (f"another process is using the Milvus Lite file {uri} (it serves one process "
                f"at a time) — stop that process, or share the file: run `milvus-lite server "
                f"--data-dir {uri} --host 127.0.0.1` and set KABAR_MILVUS_URI="
                "http://127.0.0.1:19530")
    reason = _reason(exc)
    for secret in {token, token.partition(":")[2]} - {""}:
        reason = reason.replace(secret, "***")
    if not is_lite(uri) and not silent and _listening(uri):
        return (f"Milvus at {shown_uri(uri)} refused this client ({reason[:160]}) — check "
                "KABAR_MILVUS_TOKEN (user:password, or an API key) and KABAR_MILVUS_URI")
    uri = shown_uri(uri)
    if is_lite(uri):
        return (f"cannot open Milvus Lite at {uri} ({reason.strip()[:200]}) — check that "
                "the path is a writable folder, or point KABAR_MILVUS_URI elsewhere")
    return (f"cannot reach Milvus at {uri} ({reason.strip()[:200]}) — start it, or fix "
            "KABAR_MILVUS_URI / KABAR_MILVUS_TOKEN")


def use(uri: str, token: str = "", wait: float = 0.0, timeout: float = _TIMEOUT) -> Any:
    """Make ``uri`` this process's Milvus (what :data:`BACKENDS`' factories connect to);
    ``wait`` and ``timeout`` as for :func:`connect`."""
    client = connect(uri, token, wait, timeout)
    _session[:] = [(uri, token, timeout)]
    return client


def session_client() -> Any:
    """This process's Milvus (:func:`use`; else the settings' one)."""
    if not _session:
        from retrieval.config import Settings

        settings = Settings.load()
        use(settings.milvus_target, settings.milvus_token, timeout=settings.milvus_timeout)
    uri, token, timeout = _session[0]
    return connect(uri, token, timeout=timeout)


def session_mode() -> str:
    """What this process's Milvus can hold (:mod:`retrieval.store.milvus_caps`)."""
    return milvus_caps.probe_cached(session_client(), _session[0][0])


def _listening(uri: str) -> bool:
    """Whether something accepts TCP connections at a server URI's host and port (then a
    failed connection was refused by Milvus, most likely its token)."""
    try:
        parts = urlsplit(uri)
        with socket.create_connection((parts.hostname or "localhost", parts.port or 19530),
                                      timeout=1.0):
            return True
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def failures(where: str, kind: type[KabarError] = CorruptIndexError, action: str = ""
             ) -> Iterator[None]:
    """Milvus failures as one-line Kabar errors that say where and what to do."""
    try:
        yield
    except KabarError:
        raise
    except Exception as exc:
        if type(exc).__module__.split(".")[0] != "pymilvus":
            raise
        message = getattr(exc, "message", "") or str(exc)
        action = action or ("the published version is kept" if kind is IndexWriteError else
                            "check that Milvus is running and KABAR_MILVUS_URI")
        raise kind(f"Milvus at {where} failed ({message.strip()[:200]}) — {action}") from None
