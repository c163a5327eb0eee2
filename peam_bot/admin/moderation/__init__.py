"""Triage of initiatives by AQPlan moderators, in the staff group and in private chat.

- :mod:`.keyboards`: the callback data of the moderation's buttons (:class:`~.keyboards.TriageAction`),
  the buttons, and the markup of the buttons the services describe as plain data;
- :mod:`.card`: the staff card on screen, swapped for an action's second step and kept up to date;
- :mod:`.triage`: the card's triage buttons, one handler per action;
- :mod:`.conduct`: its Ocultar and Bloquear buttons, and their undoing;
- :mod:`.inputs`: what a moderator types after a button (ForceReply);
- :mod:`.screens`: ``/cola``, ``/iniciativa``, ``/auditoria``;
- :mod:`.templates`: ``/plantillas``.

Each handler module has its own routes; :func:`peam_bot.admin.setup` includes them in the order it
explains.
This file imports nothing.
"""
