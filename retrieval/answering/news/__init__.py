"""Answers over reports that change: reports that differ, the latest figure, timelines.

News is reported by several outlets over days: a toll rises, one outlet's figure is
corrected, two authorities count differently, a meeting is dated differently. After the
gate has decided that the articles answer (:func:`retrieval.answering.gate.judge`),
:func:`arrange` reads every report that answers, not only the best one:

- a factoid question whose reports give different values (:mod:`.facts`, :mod:`.compare`)
  is answered "Reports differ: ..." with each value, its outlet, date and citation, or, for
  a figure that changed ("so far", "terbaru", a count told anew each day, a corrected
  figure), with the newest value first and the earlier ones as earlier;
- "what happened / kronologi / how did ... unfold" gets the dated steps of the story in the
  order they happened, the same event from several outlets on one line (:mod:`.timeline`);
- a question naming a time ("in March 2025", "minggu lalu", "kemarin") is answered from
  the reports of that time only (:func:`within_period`, applied before the gate).

Every value is the articles' own words, quoted and cited (:mod:`.render`); the answer
carries its structure in ``Answer.parts`` for the front ends and ``--json``.

Exports: ``arrange``, ``within_period``.
"""

from __future__ import annotations

from retrieval.answering.news.arrange import arrange, within_period

__all__ = ["arrange", "within_period"]
