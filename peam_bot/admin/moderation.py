"""Triage of initiatives by AQPlan moderators. (Being written.)"""

from __future__ import annotations

from peam_bot.admin.access import staff_routes

routes = staff_routes("staff-moderation")
