"""Running the bot (or the bare echo bot) as its own process, as in production: the emulated
Telegram and the simulated residents then do not share the bot's CPU core."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from bench.common import STAFF_CHAT, TOKEN, BenchTelegram


class BotProcess:
    def __init__(
        self,
        module: str,
        args: list[str],
        tg: BenchTelegram,
        log_path: Path,
        db_url: str = "",
        extra_env: dict[str, str] | None = None,
    ) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PEAM_")}
        env.update(
            PEAM_BOT_TOKEN=TOKEN,
            PEAM_TELEGRAM_API_URL=tg.base_url,
            PEAM_STAFF_CHAT_ID=str(STAFF_CHAT),
            PEAM_LOG_LEVEL="WARNING",
        )
        if db_url:
            env["PEAM_DATABASE_URL"] = db_url
        env.update(extra_env or {})
        self.tg = tg
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, *args], env=env, stdout=self._log, stderr=self._log
        )

    async def ready(self, timeout: float = 60.0) -> None:
        """Polling has started (the first getUpdates reached the emulator)."""
        ok = await self.tg.wait_until(lambda: len(self.tg.calls_of("getUpdates")) > 0, timeout)
        if not ok or self.proc.poll() is not None:
            raise RuntimeError(f"{self.proc.args} did not start; see {self.log_path}")
        await asyncio.sleep(0.2)

    def cpu_seconds(self) -> float | None:
        """CPU time (user + system) the process has used so far; None where /proc is not available."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def warnings(self) -> int:
        text = self.log_path.read_text(errors="replace")
        return sum(
            1
            for line in text.splitlines()
            if (" WARNING " in line or " ERROR " in line) and "Received SIGTERM" not in line  # our stop
        )

    async def stop(self) -> None:
        self.proc.terminate()
        try:
            await asyncio.to_thread(self.proc.wait, 15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            await asyncio.to_thread(self.proc.wait)
        self._log.close()
