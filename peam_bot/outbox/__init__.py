"""The outbox: every proactive message is a row (`queue`, used by the services, no aiogram), and a
worker delivers the rows within Telegram's limits (`worker`)."""
