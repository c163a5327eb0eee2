"""Resident-facing handlers (private chat)."""

from aiogram import Router

from peam_bot.handlers import (
    checkin,
    common,
    events,
    free_text,
    mesas,
    onboarding,
    portfolio,
    propose,
    tracking,
)

__all__ = ["checkin", "routers"]  # checkin registers its deep link when imported


def routers() -> list[Router]:
    """The resident routers, in the order they are tried. The dispatcher includes them directly: each
    router level an update goes through costs a turn of aiogram's propagation (its data copied, its
    outer middlewares wrapped), and a grouping router would add one to every resident update."""
    # order matters: the form catches commands typed in its middle (/start included) before onboarding
    return [
        routes.router()
        for routes in (
            common.routes,
            propose.routes,
            onboarding.routes,
            tracking.routes,
            events.routes,
            mesas.routes,
            portfolio.routes,
            free_text.routes,  # text outside a form: understood, else searched
            portfolio.inline_routes,
            common.fallback,
        )
    ]
