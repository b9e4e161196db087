"""HTTP under one budget per request: a total deadline and a byte cap every socket call obeys.

httpx's timeouts bound each operation (a connect, one read), not a request: a server that
sends a byte a second never trips a 5 s read timeout, and every retry starts the clock again.
So the budget is enforced one level lower, in an httpcore network backend (httpcore's public
extension point): each connect, TLS handshake, read and write gets at most the time left, and
each byte read is counted. A request therefore ends by its deadline whatever the server does,
and reading stops once the cap is passed. :func:`bounded_client` builds a client for one
request; closing it closes the connection.

Left out: name resolution (``getaddrinfo``) cannot be given a timeout, and a host name with
several addresses gets the time left for each connect attempt.
"""

from __future__ import annotations

import contextlib
import functools
import ssl
import time
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore2
import httpx2

__all__ = ["Budget", "bounded_client"]


class Budget:
    """The time and the bytes one request may still use.

    Args:
        seconds: The whole request's deadline, from now.
        max_bytes: Bytes it may read (headers and body, as they arrive on the socket).
    """

    def __init__(self, seconds: float, max_bytes: int) -> None:
        self.seconds, self.max_bytes = seconds, max_bytes
        self.received = 0
        self._end = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds until the deadline (negative once passed)."""
        return self._end - time.monotonic()

    @property
    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.left() <= 0

    @property
    def overflowed(self) -> bool:
        """Whether more than ``max_bytes`` arrived."""
        return self.received > self.max_bytes

    def time_for(self, timeout: float | None, late: type[Exception]) -> float:
        """``timeout`` cut to the time left; ``late`` raised when none is left."""
        left = self.left()
        if left <= 0:
            raise late(f"the {self.seconds:g} s deadline has passed")
        return left if timeout is None else min(timeout, left)

    def took(self, data: bytes) -> bytes:
        """Count ``data`` as read; past the cap, a read error instead."""
        self.received += len(data)
        if self.overflowed:
            raise httpcore2.ReadError(f"more than {self.max_bytes} bytes arrived")
        return data


class _Stream(httpcore2.NetworkStream):
    """A socket whose every call obeys the budget."""

    def __init__(self, inner: httpcore2.NetworkStream, budget: Budget) -> None:
        self._inner, self._budget = inner, budget

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """See :class:`httpcore2.NetworkStream`."""
        wait = self._budget.time_for(timeout, httpcore2.ReadTimeout)
        return self._budget.took(self._inner.read(max_bytes, wait))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """See :class:`httpcore2.NetworkStream`."""
        self._inner.write(buffer, self._budget.time_for(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        """See :class:`httpcore2.NetworkStream`."""
        self._inner.close()

    def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore2.NetworkStream:
        """See :class:`httpcore2.NetworkStream`."""
        wait = self._budget.time_for(timeout, httpcore2.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, wait), self._budget)

    def get_extra_info(self, info: str) -> Any:
        """See :class:`httpcore2.NetworkStream`."""
        return self._inner.get_extra_info(info)


class _Backend(httpcore2.NetworkBackend):
    """The standard blocking backend, its connections and streams held to the budget."""

    def __init__(self, budget: Budget) -> None:
        self._inner, self._budget = httpcore2.SyncBackend(), budget

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore2.NetworkStream:
        """See :class:`httpcore2.NetworkBackend`."""
        wait = self._budget.time_for(timeout, httpcore2.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, wait, local_address, socket_options),
                       self._budget)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None
                            ) -> httpcore2.NetworkStream:
        """See :class:`httpcore2.NetworkBackend`."""
        wait = self._budget.time_for(timeout, httpcore2.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, wait, socket_options),
                       self._budget)

    def sleep(self, seconds: float) -> None:
        """See :class:`httpcore2.NetworkBackend`."""
        time.sleep(min(seconds, max(self._budget.left(), 0.0)))


@contextlib.contextmanager
def _as_httpx() -> Iterator[None]:
    """httpcore's errors as httpx's (same names), which the ``openai`` client expects."""
    try:
        yield
    except (httpcore2.TimeoutException, httpcore2.NetworkError, httpcore2.ProtocolError,
            httpcore2.UnsupportedProtocol, httpcore2.ProxyError) as exc:
        for kind in type(exc).__mro__:
            mapped = getattr(httpx2, kind.__name__, None)
            if isinstance(mapped, type) and issubclass(mapped, httpx2.TransportError):
                raise mapped(str(exc)) from exc
        raise httpx2.TransportError(str(exc)) from exc  # pragma: no cover - all names match


class _Body(httpx2.SyncByteStream):
    def __init__(self, inner: Iterable[bytes]) -> None:
        self._inner = inner

    def __iter__(self) -> Iterator[bytes]:
        with _as_httpx():
            yield from self._inner

    def close(self) -> None:
        with _as_httpx():
            close = getattr(self._inner, "close", None)
            if close is not None:
                close()


class _Transport(httpx2.BaseTransport):
    """httpx's transport over an httpcore pool (the same mapping ``httpx2.HTTPTransport``
    does, which takes no network backend)."""

    def __init__(self, pool: httpcore2.ConnectionPool) -> None:
        self._pool = pool

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        assert isinstance(request.stream, Iterable)
        url = httpcore2.URL(scheme=request.url.raw_scheme, host=request.url.raw_host,
                            port=request.url.port, target=request.url.raw_path)
        core = httpcore2.Request(method=request.method, url=url, headers=request.headers.raw,
                                 content=request.stream, extensions=request.extensions)
        with _as_httpx():
            reply = self._pool.handle_request(core)
        assert isinstance(reply.stream, Iterable)
        return httpx2.Response(status_code=reply.status, headers=reply.headers,
                               stream=_Body(reply.stream), extensions=reply.extensions)

    def close(self) -> None:
        with _as_httpx():
            self._pool.close()


def bounded_client(url: str, budget: Budget) -> httpx2.Client:
    """An httpx client for one request to ``url`` held to ``budget``.

    A proxy set in the environment for ``url`` (``HTTPS_PROXY``, ``NO_PROXY``…) is used, as
    httpx's own client would; only HTTP(S) proxies are supported.
    """
    backend = _Backend(budget)
    proxy = _proxy_for(url)
    tls = _tls() if "https://" in f"{url} {proxy}" else None
    pool: httpcore2.ConnectionPool
    if proxy is None:
        pool = httpcore2.ConnectionPool(ssl_context=tls, network_backend=backend)
    else:
        parts = urllib.parse.urlsplit(proxy)
        auth = (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or "")
                ) if parts.username else None
        bare = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
        pool = httpcore2.HTTPProxy(bare, proxy_auth=auth, ssl_context=tls,
                                   proxy_ssl_context=tls, network_backend=backend)
    return httpx2.Client(transport=_Transport(pool), timeout=budget.seconds)


@functools.cache
def _tls() -> ssl.SSLContext:
    """httpx's default TLS context (system certificates, ``SSL_CERT_FILE``), made once: it
    takes some 20 ms."""
    return httpx2.create_ssl_context()


def _proxy_for(url: str) -> str | None:
    """The HTTP(S) proxy the environment sets for ``url``, if any."""
    parts = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxy if proxy.startswith(("http://", "https://")) else None
