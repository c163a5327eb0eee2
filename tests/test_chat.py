"""`peam-bot chat`: the terminal conversation, and continuing it in a second run on the same file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def chat(tmp_path: Path, lines: list[str]) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "peam_bot.cli", "chat", "--db", str(tmp_path / "chat.db")],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=90,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_chat_runs_and_a_second_run_continues_the_form(tmp_path: Path) -> None:
    first = chat(tmp_path, ["/start", "1", "3", "/proponer", "Baranda segura en el puente Chilina"])
    assert "Bienvenido" in first and "[1] ✅ Acepto" in first and "Paso 2 de 7" in first
    second = chat(
        tmp_path,
        ["El puente no tiene barandas seguras y los peatones corren peligro de caer al río Chili.", "1"],
    )
    assert "Bienvenido" not in second
    assert "Paso 3 de 7" in second and "Paso 4 de 7" in second
