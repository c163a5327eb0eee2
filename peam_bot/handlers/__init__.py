"""Resident-facing handlers (private chat)."""

from aiogram import Router

from peam_bot.handlers import common, onboarding, portfolio, propose, tracking


def setup() -> Router:
    router = Router(name="residents")
    # order matters: the form catches commands typed in its middle (/start included) before onboarding
    for routes in (
        common.routes,
        propose.routes,
        onboarding.routes,
        tracking.routes,
        portfolio.routes,
        portfolio.inline_routes,
        common.fallback,
    ):
        router.include_router(routes.router())
    return router
