"""The Bot API methods of the emulator, one mixin per group; :class:`~peam_bot.emulator.server.FakeTelegram`
combines them. A method ``fooBar`` is the coroutine ``_m_fooBar(self, params, files)``."""
