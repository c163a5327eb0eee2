"""Staff-facing handlers (AQPlan staff chat and staff in private chat).

Every router here is guarded (see :mod:`peam_bot.admin.access`): its handlers run only in private
chats or the staff group, and only after the caller's role was read from the database.
"""

from aiogram import Router

from peam_bot.admin import access, moderation, portfolio, team


def setup() -> Router:
    router = Router(name="staff")
    router.include_router(team.public_routes.router())  # invitation links: before the role exists
    for routes in (moderation.routes, team.routes, portfolio.routes):
        router.include_router(access.guard(routes.router()))
    return router


def staff_route_modules() -> list[object]:
    return [moderation, team, portfolio]
