"""Staff-facing handlers (AQPlan staff chat and staff in private chat)."""

from aiogram import F, Router


def setup() -> Router:
    router = Router(name="staff")
    # Messages in groups (the staff chat included) are not resident conversations: the resident
    # routers only listen in private chats. Staff triage actions attach here.
    router.message.filter(F.chat.type != "private")
    return router
