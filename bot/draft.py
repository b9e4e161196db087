"""Showing an LLM's answer in a terminal while it is written, then the verified answer.

The draft is printed as it arrives (escaped: model output never drives the terminal);
when the verified answer is ready the draft is erased — on a terminal, by moving the
cursor back over the lines it took — and the answer printed in its place.
"""

from __future__ import annotations

import shutil
from typing import TextIO

from bot.format import printable

__all__ = ["TerminalDraft"]


class TerminalDraft:
    """The draft of one answer on ``out``; :meth:`update` is an ``Engine.answer`` ``on_text``.

    Args:
        out: The terminal.
        header: A line shown above the draft (that it is not yet checked).
    """

    def __init__(self, out: TextIO, header: str) -> None:
        self._out = out
        self._header = header
        self._shown = ""

    def update(self, text: str) -> None:
        """Show ``text``, the answer written so far (it only ever grows)."""
        if not self._shown:
            self._write(self._header + "\n")
        piece = printable(text)[len(printable(self._shown)):]
        self._shown = text
        self._write(piece)

    def erase(self) -> None:
        """Take the draft (and its header) off the screen, if any was shown."""
        if not self._shown:
            return
        width = max(20, shutil.get_terminal_size((80, 24)).columns)
        lines = f"{self._header}\n{printable(self._shown)}".split("\n")
        rows = sum(max(1, -(-len(line) // width)) for line in lines)
        # Back to the draft's first row, then clear to the end of the screen.
        self._write("\r" + "\x1b[1A" * (rows - 1) + "\x1b[J")
        self._shown = ""

    def _write(self, text: str) -> None:
        self._out.write(text)
        self._out.flush()
