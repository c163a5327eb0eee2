"""The states of an initiative and the transitions between them: the triage's state machine.

States::

    recibida → en_revision → {necesita_informacion, aceptada, vinculada, rechazada, duplicada}
    necesita_informacion → en_revision (the author answered) | any decision (no need to wait)
"""

from __future__ import annotations

from peam_bot.storage.models import Initiative

PENDING = ("recibida", "en_revision", "necesita_informacion")
DECISIONS = ("aceptada", "vinculada", "rechazada", "duplicada")
TRANSITIONS: dict[str, frozenset[str]] = {
    "recibida": frozenset({"en_revision"}),
    "en_revision": frozenset({"necesita_informacion", *DECISIONS}),
    "necesita_informacion": frozenset({"en_revision", *DECISIONS}),
    "aceptada": frozenset(),
    "vinculada": frozenset(),
    "rechazada": frozenset(),
    "duplicada": frozenset(),
}


def can(ini: Initiative, to: str) -> bool:
    return to in TRANSITIONS.get(ini.status, frozenset())
