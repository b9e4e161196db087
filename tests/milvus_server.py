"""A real Milvus standalone server for the tests: the ``milvus`` wheel (2.3.5, no docker).

The wheel ships the server binary with its embedded etcd and local storage; it is started
here on a free loopback port with its own data folder, with authorization enabled (user
``root``, password ``Milvus``: :data:`TOKEN`), and stopped at the end. A 2.3 server has no
sparse vectors and no hybrid search, so Kabar runs on it in its dense mode.

At most one server runs at a time (it takes ~0.3 GB and ~10 s to start); a test may stop
and restart it (same port, same data) to check what a client sees meanwhile. A test module
uses it by importing the session fixture: ``from milvus_server import milvus23``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: The token of the server's built-in superuser (authorization is on).
TOKEN = "root:Milvus"


#: Seconds the server's sessions live after it stops (Milvus' default: 30).
SESSION_TTL = 5


def free_port() -> int:
    """A TCP port nothing listens on now (on 127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MilvusServerProcess:
    """One ``milvus run standalone`` process of the wheel, restartable on the same port.

    Args:
        data_dir: Its own folder (config, logs, etcd and segment data).
        auth: Enable authorization (clients need :data:`TOKEN`).
    """

    def __init__(self, data_dir: Path, auth: bool = True) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self._auth = auth
        self._server: Any = None

    @property
    def uri(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The server process's id while it runs."""
        proc = self._server.server_proc if self._server is not None else None
        return None if proc is None else int(proc.pid)

    def start(self) -> None:
        """Start it and wait until it is healthy (raises when it does not come up)."""
        from milvus import MilvusServer

        config = _config_class()(data_dir=str(self.data_dir), proxy_port=self.port)
        config.set("authorization_enabled", self._auth)
        # A restarted server serves once its predecessor's sessions expired (30 s by
        # default); the tests restart it, so they expire sooner.
        config.set("common.session.ttl", SESSION_TTL)
        server = MilvusServer(config)
        # The wheel waits up to 180 s; it changes directory while starting (restored).
        cwd = os.getcwd()
        try:
            server.start()
        except BaseException:
            server.stop()
            raise
        finally:
            os.chdir(cwd)
        self._server = server

    def stop(self) -> None:
        """Stop it at once, as a crash would (its graceful stop takes over 20 s); its data
        stays for a restart (written data is flushed; etcd recovers its log)."""
        server, self._server = self._server, None
        if server is None or server.server_proc is None:
            return
        proc: subprocess.Popen[bytes] = server.server_proc
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        server.server_proc = None
        server.stop()  # closes its log files

    def restart(self) -> None:
        """Stop, then start on the same port with the same data."""
        self.stop()
        self.start()


def _config_class() -> Any:
    """The wheel's config, checking its ports as the server binds them (``SO_REUSEADDR``):
    a restart finds its port in TIME_WAIT from the clients of the run before."""
    from milvus import MilvusServerConfig

    class Config(MilvusServerConfig):  # type: ignore[misc]
        def try_bind_port(self, port: int) -> socket.socket | None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
                sock.listen()
                return sock
            except OSError:
                sock.close()
                return None

    return Config


@contextlib.contextmanager
def running_server(data_dir: Path, auth: bool = True) -> Iterator[MilvusServerProcess]:
    """A started :class:`MilvusServerProcess`, always stopped at the end."""
    server = MilvusServerProcess(data_dir, auth)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def milvus23(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MilvusServerProcess]:
    """A running Milvus 2.3 standalone server for the session, authorization on (token
    :data:`TOKEN`); skipped where the ``milvus`` wheel is not installed."""
    pytest.importorskip("pymilvus", reason="Milvus tests need `pip install kabar[milvus]`")
    pytest.importorskip("milvus", reason="the real-server tests need `pip install "
                        "milvus==2.3.5` (the wheel ships the Milvus standalone server)")
    with running_server(tmp_path_factory.mktemp("milvus-server")) as server:
        yield server
