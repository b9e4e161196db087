"""The gate: whether the evidence answers the question, decided before any writer runs.

:func:`judge` reads the retrieved articles as the extractive writer quotes them (the
windows of sentences :mod:`.extractive.choose` picks) and answers only when

- every name the question asks about is mentioned by the report that answers
  (:mod:`.extractive.meaning`): a name no indexed article mentions abstains with
  ``reason="absent"`` and the closest report, also when the question's other names are
  found; one only another article mentions abstains plainly (the chosen report is about
  something else);
- one retrieved article covers the question well enough (:mod:`.extractive.coverage`: a
  threshold calibrated on FacQA, see ``benchmarks/calibrate_abstention.py``);
- the best sentence is close enough in meaning to the question
  (:mod:`.extractive.similarity`, for models with a calibrated floor);
- a question for "the X of Y" ("What is the capital of France?") is read against
  sentences that say X in some form (:func:`.extractive.roles.relation_unmet`): naming Y
  beside one of its cities answers nothing of what was asked.

A factoid question whose best sentence holds no short answer of the kind asked is still
answered, with the sentence leading: the short answer's extraction misses right answers
(a name written after its organisation, a year asked with "tahun berapa"), and a missing
category word ("how many *soldiers*") says little about whether the sentence answers.

:func:`abstention` words the answer that says so; the engine returns it without running a
writer, so no writer repeats (or can get wrong) the decision to abstain.
"""

from __future__ import annotations

import dataclasses

from retrieval.answering.context import ReadContext
from retrieval.answering.extractive.choose import choose
from retrieval.answering.extractive.compose import compose
from retrieval.answering.extractive.coverage import confidence
from retrieval.answering.extractive.lead import shown_lead
from retrieval.answering.extractive.meaning import AliasProvider, check_names
from retrieval.answering.extractive.measures import measure_unmet
from retrieval.answering.extractive.roles import relation_unmet
from retrieval.answering.extractive.similarity import unrelated
from retrieval.answering.writer import Decision, Evidence, Window
from retrieval.types import Answer

__all__ = ["abstention", "judge"]

_NOT_FOUND = Decision(False, "not_found")


def judge(evidence: Evidence, aliases: AliasProvider | None = None) -> Decision:
    """Whether ``evidence`` answers its question, with the sentences that do.

    Args:
        evidence: The question, its hits and the index they come from.
        aliases: Further names of a name the question writes (an acronym's long form),
            besides the lexicon's aliases, for checking that the report names it.
    """
    context, query, hits = evidence.context, evidence.query, list(evidence.hits)
    chosen = choose(context, query, hits)
    articles = sorted({w.article for w in chosen}) or sorted(
        {context.view.article_of_chunk(h.chunk_id) for h in hits[:1]})
    names = check_names(context, query, articles, aliases)
    if names.absent:
        # About something no article mentions: say so, and what the closest report is.
        return Decision(False, "absent", names.absent, tuple(chosen[:1]))
    if names.elsewhere:
        # Another article names it, so "no article mentions" would be false; the chosen
        # report is about something else ("Apa isi proposal Hamas?" answered with Kerry's
        # proposal).
        return _NOT_FOUND
    sure = confidence(context, query, hits) >= context.tuning.min_confidence
    if not sure or not chosen or unrelated(context, query, chosen[0]):
        return _NOT_FOUND
    first = chosen[0]
    said = frozenset(t for s in first.sentences for t in context.sentence_terms(s))
    if relation_unmet(query, said):
        return _NOT_FOUND  # "the capital of France" asked, France named beside Paris
    lang = context.view.article(first.article).lang
    if measure_unmet(query.text, _texts(context, chosen), lang):
        return _NOT_FOUND  # a ticket's price asked, the report counts passengers
    # Only a short answer likely right is shown (its calibrated chance, extractive/lead.py);
    # without one the quoted sentence leads — never a reason to refuse.
    lead = shown_lead(context, query, first.article, first.sentences)
    return Decision(True, windows=tuple(chosen), lead=lead)


def _texts(context: ReadContext, windows: list[Window]) -> list[str]:
    return [context.view.sentence_text(j) for w in windows for j in w.sentences]


def abstention(evidence: Evidence, decision: Decision) -> Answer:
    """The answer of a question the gate does not answer: empty and citing nothing, or,
    when it names something no article mentions, those names and the closest report
    quoted (``reason="absent"``)."""
    if decision.reason != "absent":
        return evidence.abstain(decision.reason or "not_found")
    if not decision.windows:
        return dataclasses.replace(evidence.abstain("absent"), missing=decision.missing)
    related = compose(evidence, list(decision.windows))
    return dataclasses.replace(related, abstained=True, reason="absent",
                               missing=decision.missing)
