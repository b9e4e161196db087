"""Follow-up questions: "Who mediated them?" leans on the previous turn's words."""

from __future__ import annotations

from collections.abc import Sequence

from retrieval.text.terms import terms, words
from retrieval.types import Turn

__all__ = ["follow_up_context", "is_follow_up"]

# Words that make a question lean on the previous turn ("Who mediated them?").
_ANAPHORA = frozenset(
    "they them their it its he him his she her this that these those there then "
    "mereka ia dia beliau itu tersebut ini sana situ kedua keduanya".split()
)


def is_follow_up(question: str) -> bool:
    """Whether a question points back at the previous turn (pronouns, or almost no words).

    A message with no words at all (emoji, punctuation) asks nothing, so it follows up on
    nothing either."""
    if not words(question):
        return False
    tokens = [w.strip("?.!,").lower() for w in question.split()]
    return any(w in _ANAPHORA or (w.endswith("nya") and len(w) > 5) for w in tokens) \
        or len(terms(question)) <= 1


def follow_up_context(question: str, history: Sequence[Turn]) -> str:
    """The last earlier question with words when ``question`` follows up on it, else ``""``."""
    if not is_follow_up(question):
        return ""
    return next((turn.question for turn in reversed(history) if words(turn.question)), "")
