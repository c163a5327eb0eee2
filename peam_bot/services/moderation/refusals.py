"""Refused: a step that was not applied, why, and how to tell the person who tried."""

from __future__ import annotations

from datetime import datetime

from peam_bot.i18n import gettext
from peam_bot.services.formatting import fmt_datetime
from peam_bot.services.rendering import status_label


class Refused(Exception):
    """The action was not applied; ``reason`` says why and the rest who/when, for the message."""

    def __init__(
        self, reason: str, status: str = "", who: str = "", when: datetime | None = None, detail: str = ""
    ) -> None:
        super().__init__(reason)
        self.reason = reason  # handled | taken | impossible | gone | not_public | own | blocked
        self.status = status
        self.who = who
        self.when = when
        self.detail = detail

    def message(self, locale: str) -> str:
        _ = lambda s: gettext(s, locale)  # noqa: E731
        when = fmt_datetime(self.when, locale) if self.when else ""
        status = status_label(self.status, locale)
        if self.reason == "handled":
            return _("Ya la atendió {who}: {status} ({when}).").format(who=self.who, status=status, when=when)
        if self.reason == "taken":
            return _("La está revisando {who} desde {when}.").format(who=self.who, when=when)
        if self.reason == "impossible":
            return _("No se puede hacer eso con una iniciativa en estado «{status}».").format(status=status)
        if self.reason == "gone":
            return _("Ese elemento ya no existe.")
        return _("No se pudo hacer: {detail}").format(detail=self.detail or self.reason)
