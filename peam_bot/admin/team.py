"""Staff management from the bot (admins): list, invitation links, adding by a forwarded message.

(Being written; see the moderation issue.)"""

from __future__ import annotations

from peam_bot.admin.access import staff_routes
from peam_bot.routing import Routes

routes = staff_routes("staff-team")
public_routes = Routes("staff-invites")
