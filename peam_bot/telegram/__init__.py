"""The Telegram edge: the aiogram application (`app`), its per-update middlewares, the routing of
handlers, the Bot API client (`client`, over `transport`), webhook mode and the command menus.

Nothing here is imported by `services/`: use cases never see Telegram."""
