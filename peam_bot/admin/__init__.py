"""Staff-facing handlers (AQPlan staff chat and staff in private chat).

Every router here is guarded (see :mod:`peam_bot.admin.access`): its handlers run only in private
chats or the staff group, and only after the caller's role was read from the database.
"""

from aiogram import Router

from peam_bot.admin import access, event_form, event_form_review, event_reschedule, events, portfolio, team
from peam_bot.admin.moderation import conduct, inputs, keyboards, screens, templates, triage
from peam_bot.telegram.routing import callback_prefix_filter


def setup() -> Router:
    router = Router(name="staff")
    # The moderation's routes in this order: the triage's last handler answers any triage button no
    # handler before it knows; in the /plantillas conversation, the templates' catch-all answers any
    # message, so /cancelar (inputs) and /cola, /iniciativa, /auditoria (screens) come first.
    moderation = (conduct.routes, triage.routes, inputs.routes, screens.routes, templates.routes)
    guarded = (*moderation, team.routes, portfolio.routes, event_form.routes, events.routes, event_reschedule.routes)
    # A resident's update is turned away here, by the checks every staff router makes, in one go
    # rather than once per staff router: the invitation links are commands in private chats, which
    # these checks pass.
    router.message.filter(access.StaffChat(), access.MaybeStaffMessage())
    prefixes = callback_prefix_filter(team.public_routes, *guarded)
    if prefixes is not None:
        router.callback_query.filter(prefixes)
    router.callback_query.filter(access.StaffChat())
    router.include_router(team.public_routes.router())  # invitation links: before the role exists
    for routes in guarded:
        router.include_router(access.guard(routes.router()))
    return router


def staff_route_modules() -> list[object]:
    """The modules of the staff handlers and of their buttons' callback data."""
    return [
        keyboards, conduct, triage, inputs, screens, templates, team, portfolio, event_form, event_form_review,
        events, event_reschedule,
    ]  # fmt: skip
