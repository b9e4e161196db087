"""Weighting a word's translations by how the corpus uses them.

A dictionary gives "called" four Indonesian senses and "deputy" two; an article uses one,
and a sense the corpus hardly ever uses is more likely noise than the word asked about (a
rare term also has a high idf, so one stray match weighs a lot). :func:`by_use` scales each
sense by its document frequency relative to the word's most used sense, so the senses news
actually uses lead and rare ones add little.

:func:`supported_pairs` is the compositional side: two adjacent question words ("deputy
chairman") translate to senses that should meet in the corpus ("wakil" and "ketua" share
many passages); pairs of senses that co-occur much more often than chance are kept as a
phrase, so an English phrase no dictionary lists still finds its Indonesian form.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

__all__ = ["by_use", "supported_pairs"]

#: A sense used at least this share as often as the word's most used sense keeps its full
#: weight: only rare senses are demoted ...
USE_RARE = 0.1
#: ... the more steeply the higher this: share = (df / (USE_RARE x top df)) ** this.
USE_EXPONENT = 0.5
#: The least share a sense the corpus holds keeps (a rare sense may still be the right one).
USE_FLOOR = 0.25
#: A pair of senses is a phrase when it co-occurs this many times more than chance ...
PAIR_LIFT = 4.0
#: ... in at least this many passages.
PAIR_MIN = 2


def by_use(forms: Sequence[tuple[str, float]], use: Callable[[str], int],
           exponent: float = USE_EXPONENT, floor: float = USE_FLOOR, rare: float = USE_RARE
           ) -> list[tuple[str, float]]:
    """Scale down the senses the corpus uses rarely, relative to the most used sense.

    Args:
        forms: ``(form, weight)`` senses of one source word.
        use: How many passages of the corpus hold a form (0 for none).
        exponent: How steeply weight follows use (0: equal weights).
        floor: The least share a used sense keeps.
        rare: Senses used at least this share as often as the top one keep full weight.

    Returns:
        The same forms in the same order, weights scaled into ``[floor, 1] x weight``; forms
        the corpus never uses get 0 share of their weight (they cannot match anyway) and
        when no form is used the weights are kept.
    """
    counts = [use(form) for form, _ in forms]
    top = max(counts, default=0)
    if top == 0:
        return list(forms)
    out = []
    for (form, weight), count in zip(forms, counts, strict=True):
        share = max(floor, min(1.0, count / (rare * top)) ** exponent) if count else 0.0
        out.append((form, weight * share))
    return out


def supported_pairs(left: Sequence[str], right: Sequence[str], use: Callable[[str], int],
                    together: Callable[[str, str], int], total: int,
                    lift: float = PAIR_LIFT, least: int = PAIR_MIN) -> list[tuple[str, str]]:
    """Pairs of senses of two adjacent words that the corpus uses together.

    Args:
        left: Senses (single terms) of the first word.
        right: Senses of the second word.
        use: Passages holding a term.
        together: Passages holding both terms.
        total: Passages in the corpus.
        lift: How many times more often than chance the pair must co-occur.
        least: The fewest passages the pair must share.

    Returns:
        ``(left sense, right sense)`` pairs, most strongly associated first.
    """
    scored = []
    for a in left:
        for b in right:
            if a == b:
                continue
            da, db = use(a), use(b)
            if not da or not db:
                continue
            both = together(a, b)
            expected = da * db / max(1, total)
            if both >= least and both >= lift * expected:
                scored.append((math.log(both / max(expected, 1e-9)), a, b))
    return [(a, b) for _, a, b in sorted(scored, reverse=True)]
