"""The interactive ``kabar repl``: ask questions, look at sources, follow up.

On a terminal the prompt has line editing and a history kept in ``~/.kabar_history`` (GNU
readline or libedit, whichever Python was built with). Anything else on stdin (a pipe, a file,
an ``io.StringIO`` in the tests) is read line by line, so the REPL can be scripted.

Commands start with ``:``; every other line is a question. Nothing typed at the prompt ends the
loop except ``:quit``, Ctrl-D, or Ctrl-C twice on an empty line.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from bot.draft import TerminalDraft
from bot.format import fallback_text, format_answer, format_sources, printable, source_line
from bot.session import ChatSession
from bot.texts import text
from retrieval.engine import Engine
from retrieval.errors import KabarError
from retrieval.types import Answer, Turn

log = logging.getLogger(__name__)

PROMPT = "kabar> "
#: Earlier turns passed to the engine to read follow-up questions ("Who mediated them?").
MAX_TURNS = 5
#: Allowed range of ``:k``.
MIN_K, MAX_K = 1, 50
#: Lines kept in the history file.
HISTORY_LENGTH = 1000
DEFAULT_HISTORY_FILE = "~/.kabar_history"
#: Undecodable lines in a row after which the input is taken for binary and the loop ends.
MAX_BAD_READS = 20

HELP = f"""\
Type a question in English or Indonesian; the answer quotes the articles with [n] citations.
Follow-up questions ("Who mediated them?") refer to the previous question.

Commands:
  :sources   list the indexed articles
  :show N    print the full passage behind citation [N] of the last answer
  :k N       retrieve N passages per question ({MIN_K}-{MAX_K}; now {{k}})
  :clear     forget the conversation (follow-ups start afresh)
  :help      show this help (also: help)
  :quit      leave (also quit, exit, :q, :exit, Ctrl-D, or Ctrl-C twice)"""

COMMANDS = (":sources", ":show", ":k", ":clear", ":help", ":quit", ":q", ":exit")
#: Bare words that act as commands rather than being asked as questions.
BARE_COMMANDS = frozenset({"help", "exit", "quit", "clear"})


class _Quit(Exception):
    """Raised by ``:quit`` to leave the loop."""


class Repl:
    """A read-eval-print loop over an :class:`~retrieval.engine.Engine`.

    Args:
        engine: The loaded engine that answers the questions.
        k: Number of passages to retrieve per question (changed with ``:k``).
        stdin: Where lines are read from (default: ``sys.stdin``). Line editing and history
            are used only when this is the process's own standard input and a terminal.
        stdout: Where everything is written (default: ``sys.stdout``).
        history_file: The line-editing history file (default: ``~/.kabar_history``); used
            only on a terminal.
        stream: Show an LLM's answer while it is written (default: when ``stdout`` is a
            terminal, the only place it can be replaced by the verified answer).

    Example::

        status = Repl(engine, stdin=io.StringIO("What was agreed in Paris?\\n:show 1\\n")).run()
    """

    def __init__(
        self,
        engine: Engine,
        k: int = 5,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        history_file: Path | None = None,
        stream: bool | None = None,
    ) -> None:
        self.engine = engine
        self.k = min(max(k, MIN_K), MAX_K)
        self._stdin = stdin if stdin is not None else sys.stdin
        self._stdout = stdout if stdout is not None else sys.stdout
        self._history_file = history_file
        self._stream = self._stdout.isatty() if stream is None else stream
        # History for follow-ups and the answer :show looks at; no rate limit at a terminal.
        self._session = ChatSession(turns=MAX_TURNS)
        self._readline: Any = None  # the readline module while it is in use
        self._commands: dict[str, Callable[[str], None]] = {
            ":sources": self._sources,
            ":show": self._show,
            ":k": self._set_k,
            ":help": self._help,
            ":clear": self._clear,
            ":quit": self._quit,
            ":q": self._quit,
            ":exit": self._quit,
        }

    @property
    def last_answer(self) -> Answer | None:
        """The most recent answer, or ``None`` before the first question."""
        return self._session.last_answer

    @property
    def turns(self) -> tuple[Turn, ...]:
        """The remembered turns (at most :data:`MAX_TURNS`), oldest first."""
        return self._session.history()

    def run(self) -> int:
        """Run the loop until ``:quit``, end of input, or Ctrl-C twice on an empty line.

        Returns:
            The exit status: 0.
        """
        interactive = self._is_terminal()
        if interactive:
            self._start_readline()
        try:
            self._banner()
            self._loop(interactive)
        finally:
            if interactive:
                self._stop_readline()
        return 0

    def handle(self, line: str) -> bool:
        """Act on one line: a command or a question. Never raises.

        Errors are shown as one-line messages; Ctrl-C while answering abandons the answer.

        Args:
            line: The line as typed.

        Returns:
            False when the line asked to leave (``:quit``), else True.
        """
        text = line.strip()
        if not text:
            return True
        if text.casefold() in BARE_COMMANDS:
            text = ":" + text.casefold()
        try:
            if text.startswith(":"):
                self._command(text)
            else:
                self._ask(text)
        except _Quit:
            return False
        except KeyboardInterrupt:
            self._print("(cancelled)")
        except KabarError as exc:
            self._print(f"kabar: error: {_one_line(str(exc))}")
        except Exception as exc:
            log.debug("error handling %r", text[:200], exc_info=True)
            self._print(f"kabar: error: {_one_line(f'{type(exc).__name__}: {exc}')}")
        return True

    # The loop -------------------------------------------------------------------------------

    def _loop(self, interactive: bool) -> None:
        interrupted = False  # the previous prompt ended with Ctrl-C on an empty line
        bad_reads = 0
        while True:
            try:
                line = self._read_line(interactive)
            except UnicodeDecodeError:
                bad_reads += 1
                self._print("kabar: error: that line is not UTF-8 text")
                if bad_reads >= MAX_BAD_READS:  # the input is not text at all
                    return
                continue
            except KeyboardInterrupt:
                pending = self._pending_input()
                if interrupted and not pending:
                    self._print("")
                    return
                interrupted = not pending
                self._print("" if pending else
                            "\n(Ctrl-C again or Ctrl-D to leave, :help for commands)")
                continue
            except EOFError:
                if interactive:
                    self._print("")
                return
            interrupted, bad_reads = False, 0
            if line is None:
                return
            try:
                if not self.handle(line):
                    return
            except KeyboardInterrupt:  # between handle()'s own handlers and here
                self._print("(cancelled)")

    def _read_line(self, interactive: bool) -> str | None:
        """The next line without its newline, or ``None`` at the end of the input."""
        if interactive:
            return input(PROMPT)
        line = self._stdin.readline()
        return line.rstrip("\r\n") if line else None

    def _pending_input(self) -> bool:
        """Whether the line being edited when Ctrl-C came held any text (False if unknown)."""
        if self._readline is None:
            return False
        try:
            return bool(self._readline.get_line_buffer().strip())
        except Exception:
            return False

    def _is_terminal(self) -> bool:
        if self._stdin is not sys.stdin or self._stdout is not sys.stdout:
            return False
        try:
            return self._stdin.isatty()
        except (AttributeError, ValueError, OSError):
            return False

    # Commands -------------------------------------------------------------------------------

    def _command(self, text: str) -> None:
        name, _, arg = text.partition(" ")
        command = self._commands.get(name.lower())
        if command is None:
            self._print(f"Unknown command {name[:40]} — type :help for the commands.")
            return
        command(arg.strip())

    def _help(self, arg: str) -> None:
        self._print(HELP.format(k=self.k) + "\n")

    def _quit(self, arg: str) -> None:
        raise _Quit

    def _clear(self, arg: str) -> None:
        self._session.clear()
        if self._is_terminal():
            self._write("\x1b[2J\x1b[H")  # a terminal's own "clear screen"
        self._print("Conversation cleared: the next question starts afresh.")

    def _sources(self, arg: str) -> None:
        articles = self.engine.articles()
        if not articles:
            self._print("The index holds no articles.")
            return
        self._print(f"{len(articles)} articles:\n{format_sources(articles)}\n")

    def _set_k(self, arg: str) -> None:
        if not arg:
            self._print(f"k is {self.k}: each question retrieves {self.k} passages. "
                        f"Change it with :k N ({MIN_K}-{MAX_K}).")
            return
        try:
            k = int(arg)
        except ValueError:
            k = 0
        if not MIN_K <= k <= MAX_K:
            self._print(f":k needs a whole number from {MIN_K} to {MAX_K}, e.g. :k 3 "
                        f"(k is still {self.k}).")
            return
        self.k = k
        self._print(f"k set to {k}: each question now retrieves {k} passages.")

    def _show(self, arg: str) -> None:
        try:
            n = int(arg.lstrip("[").rstrip("]"))
        except ValueError:
            self._print(":show needs a citation number, e.g. :show 1")
            return
        answer = self._session.last_answer
        if answer is None:
            self._print("No answer yet: ask a question first, then :show N.")
            return
        if not answer.citations:
            self._print("The last answer cites no article.")
            return
        for citation in answer.citations:
            if citation.n == n:
                self._print(f"[{n}] {source_line(citation, answer.lang)}\n\n"
                            f"{citation.passage}\n")
                return
        numbers = ", ".join(f"[{c.n}]" for c in answer.citations)
        self._print(f"The last answer has no citation [{n}]; it cites {numbers}.")

    # Questions ------------------------------------------------------------------------------

    def _ask(self, line: str) -> None:
        question = self.engine.prepare(line)  # cleaned and its language found, once
        # An LLM's draft is shown while it is written, on a terminal (where it can be taken
        # back): it is replaced by the verified answer.
        draft = TerminalDraft(self._stdout, text(question.lang, "drafting")) \
            if self._stream else None
        try:
            answer = self.engine.answer(question, k=self.k, history=self._session.history(),
                                        on_text=draft.update if draft else None)
        finally:
            if draft is not None:
                draft.erase()
        if answer.fallback:
            print(fallback_text(answer), file=sys.stderr, flush=True)
        self._session.remember(answer)
        self._print(format_answer(answer) + "\n")

    # Output ---------------------------------------------------------------------------------

    def _banner(self) -> None:
        info = self.engine.info()
        self._print(f"Kabar — {info.articles} articles, {info.chunks} passages indexed. "
                    "Ask in English or Indonesian; :help for commands, Ctrl-D to leave.")

    def _print(self, text: str) -> None:
        self._write(printable(text) + "\n")  # article text never drives the terminal

    def _write(self, text: str) -> None:
        self._stdout.write(text)
        self._stdout.flush()

    # Line editing ---------------------------------------------------------------------------

    def _history_path(self) -> Path | None:
        if self._history_file is not None:
            return self._history_file
        try:
            return Path(DEFAULT_HISTORY_FILE).expanduser()
        except RuntimeError:  # no home directory
            return None

    def _start_readline(self) -> None:
        try:
            import readline
        except ImportError:  # no line editing on this platform; input() still works
            return
        self._readline = readline
        try:
            readline.set_history_length(HISTORY_LENGTH)
            readline.set_completer(_complete)
            readline.set_completer_delims(" \t\n")
            if "libedit" in (readline.__doc__ or ""):
                readline.parse_and_bind("bind ^I rl_complete")
            else:
                readline.parse_and_bind("tab: complete")
        except Exception:
            log.debug("could not set up line editing", exc_info=True)
        path = self._history_path()
        if path is None:
            return
        try:
            readline.clear_history()
            if path.is_file():
                readline.read_history_file(str(path))
        except Exception as exc:
            log.debug("could not read the history file %s: %s", path, exc)

    def _stop_readline(self) -> None:
        readline, self._readline = self._readline, None
        if readline is None:
            return
        path = self._history_path()
        if path is None:
            return
        try:
            readline.write_history_file(str(path))
        except Exception as exc:
            log.debug("could not write the history file %s: %s", path, exc)


def _complete(text: str, state: int) -> str | None:
    """Readline completion of the ``:`` commands."""
    matches = [c for c in COMMANDS if c.startswith(text)] if text.startswith(":") else []
    return matches[state] if state < len(matches) else None


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "unknown error"
