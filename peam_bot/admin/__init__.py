"""Staff-facing handlers (AQPlan staff chat and staff in private chat)."""

from aiogram import Router

from peam_bot.admin import portfolio


def setup() -> Router:
    router = Router(name="staff")
    router.include_router(portfolio.routes.router())
    return router
