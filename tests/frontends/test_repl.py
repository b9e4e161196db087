"""The interactive REPL, driven through stdin with the real model and index, and on a terminal.

Answer quality is tuned elsewhere; these tests check the loop, the commands and the follow-up
plumbing, and only the acceptance facts of the answers.
"""

from __future__ import annotations

import contextlib
import io
import os
import pty
import re
import select
import shutil
import signal
import sys
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from conftest import default_signals

from bot.repl import MAX_TURNS, PROMPT, Repl
from retrieval.config import BUNDLED_MODEL, Settings
from retrieval.engine import Engine
from retrieval.errors import KabarError
from retrieval.types import Answer, Question, Turn

pytestmark = pytest.mark.e2e

PARIS = "What was agreed in Paris?"
FOLLOW_UP = "Who mediated them?"
PARIS_TALKS = "000_0824a75aebbd95f9.txt"
SEED_IDS = [
    "000_0824a75aebbd95f9.txt", "001_807304e9ae65fd15.txt", "002_32c7552fa8fd2136.txt",
    "003_1c1b4390ddce87f2.txt", "004_7aea4bd5392cc0f6.txt",
]


def run_repl(engine: Any, lines: Sequence[str], k: int = 5) -> tuple[int, str, Repl]:
    """Feed ``lines`` to a REPL over ``engine``; returns (status, output, repl)."""
    stdin = io.StringIO("".join(line + "\n" for line in lines))
    stdout = io.StringIO()
    repl = Repl(cast(Engine, engine), k=k, stdin=stdin, stdout=stdout)
    status = repl.run()
    return status, stdout.getvalue(), repl


def banner_and_rest(output: str) -> tuple[str, str]:
    banner, _, rest = output.partition("\n")
    return banner, rest


class SpyEngine:
    """Delegates to the real engine, recording the calls; can be told to fail."""

    def __init__(self, engine: Engine, fail: dict[str, BaseException] | None = None) -> None:
        self.engine = engine
        self.fail = fail or {}
        self.calls: list[tuple[str, int | None, tuple[Turn, ...]]] = []

    def answer(self, question: str | Question, k: int | None = None,
               history: Sequence[Turn] = (),
               on_text: Callable[[str], None] | None = None) -> Answer:
        asked = question.text if isinstance(question, Question) else question
        self.calls.append((asked, k, tuple(history)))
        if asked in self.fail:
            raise self.fail[asked]
        return self.engine.answer(question, k=k, history=history, on_text=on_text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


# Driven through stdin -------------------------------------------------------------------------


def test_banner_and_eof_exit_0(real_engine: Engine) -> None:
    status, output, _ = run_repl(real_engine, [])
    assert status == 0
    banner, rest = banner_and_rest(output)
    info = real_engine.info()
    assert f"{info.articles} articles" in banner and f"{info.chunks} passages" in banner
    assert info.articles == 5
    assert ":help" in banner
    assert rest == ""


def test_question_then_show_passage(real_engine: Engine) -> None:
    status, output, repl = run_repl(real_engine, [PARIS, ":show 1"])
    assert status == 0
    answer = repl.last_answer
    assert answer is not None and answer.question == PARIS
    assert not answer.abstained, answer.text
    assert "[1]" in answer.text
    first = answer.citations[0]
    assert first.n == 1 and first.passage
    assert answer.text in output and "Sources:" in output
    shown = output.split(answer.text, 1)[1]
    assert f"[1] {first.title or '(untitled)'}" in shown
    assert first.doc_id in shown
    assert first.passage in shown
    assert first.quote in first.passage


def test_sources_lists_the_five_articles(real_engine: Engine) -> None:
    _, output, _ = run_repl(real_engine, [":sources"])
    _, rest = banner_and_rest(output)
    assert "5 articles" in rest
    numbered = [line for line in rest.splitlines() if re.match(r"\s*\d+\. ", line)]
    assert len(numbered) == 5
    for i, (line, doc_id) in enumerate(zip(numbered, SEED_IDS, strict=True), 1):
        assert line.strip().startswith(f"{i}. ") and line.endswith(f"({doc_id})")
    assert "Rusia dan AS dukung terwujudnya perdamaian di Suriah" in rest


def test_k_command(real_engine: Engine) -> None:
    spy = SpyEngine(real_engine)
    _, output, repl = run_repl(
        spy, [":k 3", PARIS, ":k abc", ":k 0", ":k 51", ":k", "Siapa bertemu Putin?"])
    assert repl.k == 3
    assert "k set to 3" in output
    assert output.count(":k needs a whole number from 1 to 50") == 3
    assert "k is 3" in output
    assert [k for _, k, _ in spy.calls] == [3, 3]
    last = repl.last_answer
    assert last is not None and len(last.passages) <= 3


def test_k_command_upper_bound(real_engine: Engine) -> None:
    _, output, repl = run_repl(real_engine, [":k 50", ":k 1", ":k -2", ":k 2.5"])
    assert "k set to 50" in output and "k set to 1" in output
    assert repl.k == 1
    assert output.count(":k needs a whole number") == 2


def test_show_errors(real_engine: Engine) -> None:
    _, output, _ = run_repl(real_engine, [":show 1", PARIS, ":show 9", ":show abc", ":show"])
    lines = output.splitlines()
    assert any("No answer yet" in line for line in lines)
    assert any("no citation [9]" in line and "[1]" in line for line in lines)
    assert sum(":show needs a citation number" in line for line in lines) == 2


def test_show_after_abstention(real_engine: Engine) -> None:
    _, output, repl = run_repl(real_engine, ["What is the recipe for rendang?", ":show 1"])
    assert repl.last_answer is not None and repl.last_answer.abstained
    assert "I couldn't find that in the articles." in output
    assert "The last answer cites no article." in output


def test_show_after_absent_place_shows_the_closest_report(real_engine: Engine) -> None:
    _, output, repl = run_repl(real_engine, ["What was agreed in Tokyo?", ":show 1"])
    assert repl.last_answer is not None and repl.last_answer.abstained
    assert "No article mentions “Tokyo”." in output and "The closest report:" in output
    assert "The last answer cites no article." not in output


def test_unknown_command_and_help(real_engine: Engine) -> None:
    _, output, _ = run_repl(real_engine, [":frobnicate now", ":help"])
    lines = output.splitlines()
    hint = [line for line in lines if "Unknown command :frobnicate" in line]
    assert len(hint) == 1 and ":help" in hint[0]
    for command in (":sources", ":show N", ":k N", ":help", ":quit"):
        assert command in output


def test_empty_lines_are_ignored(real_engine: Engine) -> None:
    spy = SpyEngine(real_engine)
    _, output, repl = run_repl(spy, ["", "   ", "\t", ""])
    _, rest = banner_and_rest(output)
    assert rest == ""
    assert spy.calls == [] and repl.last_answer is None


def test_over_long_line_is_cut_with_a_notice(real_engine: Engine) -> None:
    long_line = ("What was agreed in Paris between Syria and Israel? " * 120)[:5000]
    assert len(long_line) == 5000
    status, output, repl = run_repl(real_engine, [long_line, ":sources"])
    assert status == 0
    assert "(Your question was cut to 1000 characters.)" in output
    answer = repl.last_answer
    assert answer is not None and len(answer.question) <= 1000
    assert "5 articles" in output  # the loop went on


def test_over_long_command_line(real_engine: Engine) -> None:
    status, output, _ = run_repl(real_engine, [":show " + "9" * 5000, ":" + "x" * 5000, ":q"])
    assert status == 0
    assert "No answer yet" in output or ":show needs a citation number" in output
    assert "Unknown command" in output and len(max(output.splitlines(), key=len)) < 200


def test_follow_up_uses_the_previous_turn(real_engine: Engine) -> None:
    spy = SpyEngine(real_engine)
    _, output, repl = run_repl(spy, [PARIS, FOLLOW_UP])
    (q1, _, h1), (q2, _, h2) = spy.calls
    assert (q1, h1) == (PARIS, ())
    assert q2 == FOLLOW_UP and [t.question for t in h2] == [PARIS]
    follow = repl.last_answer
    assert follow is not None
    assert not follow.abstained, follow.text
    cited = {c.doc_id for c in follow.citations}
    assert PARIS_TALKS in cited, follow.text
    assert any("dimediasi oleh Amerika Serikat" in c.quote for c in follow.citations
               if c.doc_id == PARIS_TALKS), follow.text
    assert follow.text in output


def test_history_is_bounded(real_engine: Engine) -> None:
    spy = SpyEngine(real_engine)
    questions = [f"What happened in {place}?" for place in
                 ("Paris", "Moskow", "Kairo", "Roma", "Aleppo", "Qalamoun", "Astana")]
    _, _, repl = run_repl(spy, questions)
    assert len(repl.turns) == MAX_TURNS
    assert [t.question for t in repl.turns] == questions[-MAX_TURNS:]
    assert [t.question for t in spy.calls[-1][2]] == questions[-MAX_TURNS - 1:-1]


def test_quit_commands_stop_reading(real_engine: Engine) -> None:
    for quit_command in (":quit", ":q", ":exit", ":QUIT"):
        spy = SpyEngine(real_engine)
        status, _, repl = run_repl(spy, [quit_command, PARIS])
        assert status == 0
        assert spy.calls == []
        assert repl.handle(quit_command) is False
    assert repl.handle(":help") is True and repl.handle("  ") is True


def test_errors_never_end_the_loop(real_engine: Engine, caplog: pytest.LogCaptureFixture
                                   ) -> None:
    spy = SpyEngine(real_engine, fail={
        "boom": RuntimeError("the disk\nis on fire"),
        "kabar": KabarError("no index at x/ — run `kabar index`"),
        "stop": KeyboardInterrupt(),
    })
    with caplog.at_level("DEBUG", logger="bot.repl"):
        status, output, repl = run_repl(spy, ["boom", "kabar", "stop", PARIS])
    assert status == 0
    lines = output.splitlines()
    assert "kabar: error: RuntimeError: the disk is on fire" in lines
    assert "kabar: error: no index at x/ — run `kabar index`" in lines
    assert "(cancelled)" in lines
    assert "Traceback" not in output
    assert repl.last_answer is not None and repl.last_answer.question == PARIS
    assert any(r.exc_info for r in caplog.records)


class InterruptingStdin(io.StringIO):
    """A stdin whose reads raise KeyboardInterrupt where the script holds ``None``."""

    def __init__(self, script: Sequence[str | None]) -> None:
        super().__init__()
        self.script = list(script)

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        if not self.script:
            return ""
        item = self.script.pop(0)
        if item is None:
            raise KeyboardInterrupt
        return item + "\n"


class UndecodableStdin(io.StringIO):
    """A stdin whose first reads fail to decode."""

    def __init__(self, bad: int, then: Sequence[str]) -> None:
        super().__init__("".join(line + "\n" for line in then))
        self.bad = bad

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        if self.bad:
            self.bad -= 1
            raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
        return super().readline()


def test_undecodable_input(real_engine: Engine) -> None:
    stdout = io.StringIO()
    repl = Repl(real_engine, stdin=UndecodableStdin(2, [":k 4"]), stdout=stdout)
    assert repl.run() == 0
    assert stdout.getvalue().count("not UTF-8 text") == 2 and repl.k == 4
    stdout = io.StringIO()
    assert Repl(real_engine, stdin=UndecodableStdin(10**6, []), stdout=stdout).run() == 0


def test_ctrl_c_at_the_prompt(real_engine: Engine) -> None:
    # Ctrl-C once: a new prompt; the loop goes on.
    stdout = io.StringIO()
    spy = SpyEngine(real_engine)
    status = Repl(cast(Engine, spy), stdin=InterruptingStdin([None, PARIS]), stdout=stdout).run()
    assert status == 0 and [q for q, _, _ in spy.calls] == [PARIS]
    assert "Ctrl-C again" in stdout.getvalue()
    # Twice in a row: leave, whatever follows.
    spy = SpyEngine(real_engine)
    status = Repl(cast(Engine, spy), stdin=InterruptingStdin([None, None, PARIS]),
                  stdout=io.StringIO()).run()
    assert status == 0 and spy.calls == []
    # Not in a row: stay.
    spy = SpyEngine(real_engine)
    status = Repl(cast(Engine, spy), stdin=InterruptingStdin([None, ":k 2", None, PARIS]),
                  stdout=io.StringIO()).run()
    assert status == 0 and [q for q, _, _ in spy.calls] == [PARIS]


def test_unusable_history_file_does_not_crash(real_engine: Engine, tmp_path: Path) -> None:
    readline = pytest.importorskip("readline")
    folder = tmp_path / "history-is-a-folder"
    folder.mkdir()
    repl = Repl(real_engine, stdin=io.StringIO(), stdout=io.StringIO(), history_file=folder)
    repl._start_readline()
    readline.add_history("a question")
    repl._stop_readline()  # neither raises
    good = tmp_path / "history"
    repl = Repl(real_engine, stdin=io.StringIO(), stdout=io.StringIO(), history_file=good)
    repl._start_readline()
    readline.add_history("What was agreed in Paris?")
    repl._stop_readline()
    assert "What was agreed in Paris?" in good.read_text(encoding="utf-8")
    readline.clear_history()


# On a terminal ---------------------------------------------------------------------------------


class Terminal:
    """A child process on a pseudo-terminal, read until an expected text appears."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads: exec at once
            pid, fd = pty.fork()
        if pid == 0:  # the child
            try:
                default_signals()
                os.chdir(cwd)
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.pid, self.fd = pid, fd
        self.output = ""
        self.status: int | None = None

    def expect(self, text: str, timeout: float = 60.0, start: int = 0) -> str:
        """Read until ``text`` appears after position ``start``; returns the new output."""
        begin = len(self.output)
        deadline = time.monotonic() + timeout
        while text not in self.output[start:]:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} within {timeout} s; got:\n{self.output}")
            if not self._read(0.2) and self._exited():
                raise AssertionError(f"exited before {text!r}; got:\n{self.output}")
        return self.output[begin:]

    def send(self, data: str) -> int:
        """Type ``data``; returns the output position before the reply."""
        mark = len(self.output)
        os.write(self.fd, data.encode("utf-8"))
        return mark

    def wait(self, timeout: float = 30.0) -> int:
        deadline = time.monotonic() + timeout
        while not self._exited():
            if time.monotonic() > deadline:
                raise AssertionError(f"still running after {timeout} s; got:\n{self.output}")
            self._read(0.1)
        while self._read(0.05):
            pass
        assert self.status is not None
        return self.status

    def close(self) -> None:
        if not self._exited():
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        self.output += data.decode("utf-8", "replace").replace("\r\n", "\n")
        return bool(data)

    def _exited(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid == 0:
                return False
            self.status = os.waitstatus_to_exitcode(status)
        return True


@contextlib.contextmanager
def terminal(argv: list[str], env: dict[str, str], cwd: Path) -> Iterator[Terminal]:
    term = Terminal(argv, env, cwd)
    try:
        yield term
    finally:
        term.close()


def kabar_env(home: Path) -> dict[str, str]:
    """The environment of a child ``kabar``: no KABAR_ settings but the model of conftest's
    real_index (MiniLM, not the default), a private HOME."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("KABAR_", "TELEGRAM_", "PYTEST_"))}
    env.update(HOME=str(home), TERM="xterm", LANG="C.UTF-8", LC_ALL="C.UTF-8",
               PYTHONIOENCODING="utf-8", KABAR_EMBEDDING_MODEL=BUNDLED_MODEL)
    return env


def test_repl_on_a_terminal(real_index: Settings, tmp_path: Path) -> None:
    kabar = Path(sys.executable).with_name("kabar")
    assert kabar.exists(), "run `pip install -e .` in the virtualenv"
    seeds, index = tmp_path / "seeds", tmp_path / "index"
    shutil.copytree(real_index.seeds_dir, seeds)
    shutil.copytree(real_index.index_dir, index)
    home = tmp_path / "home"
    home.mkdir()
    argv = [str(kabar), "repl", "--no-update", "--seeds", str(seeds), "--index", str(index)]
    with terminal(argv, kabar_env(home), tmp_path) as term:
        term.expect(PROMPT, timeout=120)
        assert "5 articles" in term.output and ":help" in term.output

        mark = term.send(PARIS + "\r")
        term.expect(PROMPT, start=mark + len(PARIS))
        reply = term.output[mark:]
        assert "[1]" in reply and "Sources:" in reply

        mark = term.send(":show 1\r")
        term.expect(PROMPT, start=mark + len(":show 1"))
        shown = term.output[mark:]
        assert "[1] " in shown and ".txt)" in shown
        assert "no citation" not in shown and "No answer yet" not in shown

        # Ctrl-C with text typed: the line is dropped and a new prompt shown.
        mark = term.send("half a quest")
        term.expect("half a quest", start=mark)
        mark = term.send("\x03")
        term.expect(PROMPT, start=mark)
        assert "Ctrl-C again" not in term.output[mark:]

        # Ctrl-C on an empty line: a hint and the prompt again.
        mark = term.send("\x03")
        term.expect("Ctrl-C again", start=mark)
        term.expect(PROMPT, start=mark)

        term.send("\x04")  # Ctrl-D
        status = term.wait()
    assert status == 0, term.output
    assert "Traceback" not in term.output
    history = (home / ".kabar_history").read_text(encoding="utf-8")
    assert PARIS in history and ":show 1" in history
    assert "half a quest" not in history
