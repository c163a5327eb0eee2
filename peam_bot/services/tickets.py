"""What a registration gives the resident to carry: the ticket's QR image (segno) and an .ics file
for the phone's calendar (icalendar). Times are written in UTC, so every calendar shows them in its
own zone, which in Arequipa is America/Lima."""

from __future__ import annotations

import io

import segno
from icalendar import Calendar, vText
from icalendar import Event as CalendarEvent

from peam_bot.storage.event_models import Event


def qr_png(text: str, scale: int = 10) -> bytes:
    """A PNG of a QR code of `text`, big enough to scan from a phone's screen at the door."""
    out = io.BytesIO()
    segno.make_qr(text, error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def ics(event: Event, ticket: str | None = None, description: str = "") -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//AQPlan//peam-bot//ES")
    cal.add("version", "2.0")
    item = CalendarEvent()
    item.add("uid", f"{event.code}{'-' + ticket if ticket else ''}@peam-bot")
    item.add("summary", event.title)
    item.add("dtstart", event.starts_at)
    item.add("dtend", event.ends_at)
    item.add("dtstamp", event.updated_at)
    place = ", ".join(p for p in (event.venue, event.address) if p)
    if place:
        item["location"] = vText(place)
    if event.latitude is not None and event.longitude is not None:
        item.add("geo", (event.latitude, event.longitude))
    if description:
        item.add("description", description)
    item.add("status", "CANCELLED" if event.status == "cancelado" else "CONFIRMED")
    cal.add_component(item)
    return bytes(cal.to_ical())
