"""Triage of initiatives by the AQPlan staff, one module per responsibility.

- :mod:`.states`: the states of an initiative and the transitions allowed between them;
- :mod:`.workflow`: taking an initiative into review (the claim) and every change of it, as a
  compare-and-set on its version;
- :mod:`.decisions`: accept or link, reject, duplicate, ask the author (and take the answer), assign;
- :mod:`.conduct`: hide an initiative, block its author, and undo both;
- :mod:`.supports`: residents' supports (Apoyar);
- :mod:`.templates`: the reasons for not admitting an initiative (``/plantillas``);
- :mod:`.queue`: the pending queue (``/cola``) and the similar initiatives and projects offered in triage;
- :mod:`.notices`: what the author, the supporters and an assigned moderator are told, through the outbox;
- :mod:`.cards`: the staff card's content, its buttons as plain data;
- :mod:`.buttons`: staff buttons as plain data, and how the Telegram side turns them into markup;
- :mod:`.announcements`: the staff chat's messages about an initiative, and keeping them up to date;
- :mod:`.history`: the audit trail and the dated history, in words;
- :mod:`.refusals`: :class:`~.refusals.Refused`, a step that was not applied, and why.

Imports run one way. ``services.initiatives`` queues the announcement of a new initiative when it is
submitted, so :mod:`.announcements` and what it needs (:mod:`.cards`, :mod:`.buttons`,
:mod:`.states`) never import ``services.initiatives``, directly or through ``rendering`` or
``portfolio``; the other modules may. This file imports nothing, so loading one module does not load
the others.
"""
