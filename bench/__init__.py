"""Benchmarks of the bot against the in-process Telegram emulator (see bench/README.md)."""
