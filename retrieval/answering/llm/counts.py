"""Numbers bound to what they count: a claim's count must count the same thing there.

"Lebih dari 80 ribu warga Suriah telah dibebaskan, 10 ribu di antaranya adalah anak-anak":
80,000 counts "warga Suriah", 10,000 counts "anak-anak". "80,000 children were freed" moves
the total to a part, "10,000 Syrians were freed" the part to the total: both right numbers,
both wrong. A number's group is the content words right after it in its clause (after its
scale word and linking words: "10 ribu *di antaranya adalah* anak-anak", "10,000 *of them*
children"): up to :data:`_CLAIM_GROUP` words in the claim, :data:`_PASSAGE_GROUP` in a
passage (which may say more). Every word of the claim's group must be in the group of the
same number in a cited sentence, in any language (the claim's concepts), unless no cited
sentence gives that number a group (a date, a bare figure) — the number itself is checked
by value elsewhere. Words that count anything ("people", "orang") are not required.

Numbers in words (:mod:`.spelled`) count as numbers; :func:`spelled_values` gives the
values of a text's spelled numbers for the check by value. Linear in the claim's length.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from retrieval.answering.common.numbers import SCALES, spelled_numbers
from retrieval.answering.common.spans import number_values
from retrieval.answering.llm.structure import Sentence, Word, positions
from retrieval.search.query import Concept

__all__ = ["Count", "count_clash", "counts", "spelled_values"]

#: Words that scale or qualify the number before them: the scale words numbers are read
#: with, and percent.
_SCALES = frozenset(SCALES) | frozenset("persen percent per cent".split())
#: Words that count anything: a claim need not repeat the passage's noun for them.
_ANY = frozenset("people person persons individuals orang jiwa total sebanyak some about "
                 "around approximately sekitar kurang lebih".split())
_PARTITIVE = frozenset("antara antaranya among of dari".split())
_CLAIM_GROUP = 2
_WINDOW = 10  # words after a number read for its group
_PASSAGE_GROUP = 4


@dataclass(frozen=True)
class Count:
    """A number of a sentence: its values, its words, and the words of what it counts."""

    values: frozenset[float]
    start: int
    end: int
    group: tuple[int, ...]


def counts(sentence: Sentence, wide: bool) -> list[Count]:
    """The numbers of ``sentence`` (digits or words) with their groups; ``wide``: a
    passage's, whose group may run on past a stopword."""
    words = sentence.words
    found: list[tuple[int, int, frozenset[float]]] = []
    for start, end, value in _spelled([w.text for w in words]):
        found.append((start, end, frozenset({value})))
    for i, word in enumerate(words):
        if word.text[0].isdigit():
            end = i + 1 if i + 1 < len(words) and words[i + 1].text in _SCALES and \
                words[i + 1].clause == word.clause else i
            values = number_values(" ".join(w.text for w in words[i:end + 1]))
            if values:
                found.append((i, end + 1, values[0]))
    return [Count(values, start, end, _group(words, end, words[start].clause, wide))
            for start, end, values in found]


def _group(words: Sequence[Word], i: int, clause: int, wide: bool) -> tuple[int, ...]:
    group: list[int] = []
    limit = _PASSAGE_GROUP if wide else _CLAIM_GROUP
    end = min(len(words), i + _WINDOW)
    while i < end and words[i].clause == clause and len(group) < limit:
        word = words[i]
        if word.text[0].isdigit():
            break
        if word.stop or word.text in _SCALES:
            if group and not wide:
                break
            if not group and not wide and word.text in _PARTITIVE:
                return ()  # "10 ribu di antara warga yang ...": a part of them, said later
        elif word.text.isalpha() or "-" in word.text:
            group.append(i)
        i += 1
    return tuple(group)


def count_clash(claim: Sentence, concepts: Sequence[Concept],
                cited: Sequence[tuple[Sentence, Sequence[Count]]],
                dates: Sequence[tuple[int, int]] = (), names: AbstractSet[str] = frozenset(),
                english: bool = False) -> str:
    """"count" when a number of the claim counts, in every cited sentence that gives the
    number a group, something else; else "". ``cited``: the cited sentences with their
    counts (:func:`counts`, wide). ``dates``: character spans of the claim's
    dates, whose numbers are days and years; ``names``: its words that are names;
    ``english``: its head nouns come last."""
    theirs = [(s, c) for s, found in cited for c in found if c.group]
    if not theirs:
        return ""
    owners: dict[int, list[Concept]] = {}
    for concept in concepts:
        for i in positions(concept, claim):
            owners.setdefault(i, []).append(concept)
    starts = sorted(dates)
    for count in counts(claim, wide=False):
        if _within(starts, claim.words[count.start].start):
            continue
        needed = [(owners[i], claim.words[i].text in names) for i in count.group
                  if claim.words[i].text not in _ANY and i in owners]
        first = claim.words[count.group[0]].text if count.group else ""
        if needed and first not in _ANY:
            # The head noun: last in English ("Syrian *children*"), else first.
            head = needed[-1] if english else needed[0]
            needed = [(o, True if (o, n) == head else n) for o, n in needed]
        same = [(s, c) for s, c in theirs if c.values & count.values]
        if needed and same and not any(_holds(needed, s, c, theirs) for s, c in same):
            return "count"
    return ""


def _within(spans: Sequence[tuple[int, int]], offset: int) -> bool:
    """Whether ``offset`` is inside one of the sorted, disjoint ``spans``."""
    k = bisect_right(spans, (offset, float("inf"))) - 1
    return k >= 0 and spans[k][0] <= offset < spans[k][1]


def _holds(needed: Sequence[tuple[Sequence[Concept], bool]], sentence: Sentence,
           count: Count, theirs: Sequence[tuple[Sentence, Count]]) -> bool:
    """Whether the passage count's group says every needed word of the claim's group (each
    given as the concepts that stand for it, and whether it must be in the group: a name or
    the head noun). An ordinary word
    the sentence says outside any number's group ("*beranggotakan* 17 negara" for "17
    member countries") qualifies the count there too; a name, or a word another number
    of the sentence counts, does not."""
    group = set(count.group)
    others = {i for s, c in theirs if s is sentence and c is not count for i in c.group}
    for owners, name in needed:
        where = {i for c in owners for i in positions(c, sentence)}
        if where & group:
            continue
        if name or not where or where & others:
            return False
    return True


def spelled_values(sentence: Sentence) -> list[float]:
    """The values of the numbers ``sentence`` writes in words of more than one digit group
    ("thirty-one", "dua puluh"), which the check by value must see too."""
    words = [w.text for w in sentence.words]
    return [value for start, end, value in _spelled(words)
            if end - start > 1 or "-" in words[start] or value >= 12]


def _spelled(words: Sequence[str]) -> list[tuple[int, int, float]]:
    """The numbers ``words`` write in words, as (first word, word after the last, value):
    :func:`retrieval.answering.common.numbers.spelled_numbers` read over the words joined by spaces,
    its character offsets mapped back to word positions, a split-off scale multiplied in."""
    starts, offset = {}, 0
    for i, word in enumerate(words):
        starts[offset] = i
        offset += len(word) + 1
    ends = {start + len(words[i]): i + 1 for start, i in starts.items()}
    out = []
    for spelled in spelled_numbers(" ".join(words)):
        if spelled.start in starts and spelled.end in ends:
            value = float(spelled.value) * SCALES.get(spelled.scale, 1)
            out.append((starts[spelled.start], ends[spelled.end], value))
    return out
