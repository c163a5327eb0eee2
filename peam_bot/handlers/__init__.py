"""Resident-facing handlers (private chat)."""

from aiogram import Router

from peam_bot.handlers import common, onboarding, propose, tracking


def setup() -> Router:
    router = Router(name="residents")
    for routes in (common.routes, onboarding.routes, propose.routes, tracking.routes, common.fallback):
        router.include_router(routes.router())
    return router
