"""`peam-bot staff add/remove/list` and `peam-bot export audit FILE`, run in-process through cli.main.

cli.main uses asyncio.run, so these are plain sync tests. They always use a SQLite file in tmp_path
(also when PEAM_TEST_DATABASE_URL points the rest of the suite at PostgreSQL).
"""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import pytest

from peam_bot import cli
from peam_bot.services import audit, staff
from peam_bot.storage.db import make_engine, make_session_factory, upgrade
from tests.conftest import FAST_PATHS

ADMIN = 111


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)  # no .env from the working directory
    for var in ("PEAM_BOT_TOKEN", "PEAM_WEBHOOK_URL", "PEAM_REDIS_URL", "PEAM_LOG_LEVEL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PEAM_DATABASE_URL", url)
    monkeypatch.setenv("PEAM_ADMIN_IDS", str(ADMIN))
    monkeypatch.setenv("PEAM_CLI_LANG", "es")
    return url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    """cli.main → (exit code, stdout lines, stderr); argparse errors become their SystemExit code."""
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def listed(lines: list[str]) -> dict[str, list[str]]:
    """`staff list` table rows by id (header included under "id")."""
    return {line.split()[0]: line.split()[1:] for line in lines}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def read_xlsx(path: Path) -> list[dict[str, object]]:
    from openpyxl import load_workbook

    ws = load_workbook(path, read_only=True)["auditoria"]
    rows = list(ws.iter_rows(values_only=True))
    header = [str(c) for c in rows[0]]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def test_cli_roles_match_the_service() -> None:
    assert cli.STAFF_ROLES == staff.ROLES


def test_add_change_remove_list(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "staff", "list")
    assert code == 0
    table = listed(out)
    assert table["id"] == ["rol", "nombre"]
    assert table[str(ADMIN)] == ["admin", "(PEAM_ADMIN_IDS)"]
    assert len(table) == 2

    assert run(capsys, "staff", "add", "12345")[:2] == (0, ["Se agregó 12345 como moderador."])
    code, out, _ = run(capsys, "staff", "list")
    assert code == 0
    assert listed(out)["12345"] == ["moderador"]

    assert run(capsys, "staff", "add", "12345", "--role", "organizador", "--name", "Ana Quispe")[:2] == (
        0,
        ["12345 ahora es organizador (antes moderador)."],
    )
    assert run(capsys, "staff", "add", "12345", "--role", "organizador")[:2] == (
        0,
        ["12345 ya era organizador; no hubo cambios."],
    )
    code, out, _ = run(capsys, "staff", "list")
    assert listed(out)["12345"] == ["organizador", "Ana", "Quispe"]

    assert run(capsys, "staff", "remove", "12345")[:2] == (
        0,
        ["Se quitó a 12345 del equipo (era organizador)."],
    )
    code, out, _ = run(capsys, "staff", "list")
    assert code == 0
    assert "12345" not in listed(out)
    assert str(ADMIN) in listed(out)


def test_remove_unknown_or_bootstrap_admin(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "staff", "remove", "999")
    assert (code, out) == (1, [])
    assert err.strip() == "peam-bot: 999 no es parte del equipo."

    code, out, err = run(capsys, "staff", "remove", str(ADMIN))
    assert (code, out) == (1, [])
    assert f"{ADMIN} está en PEAM_ADMIN_IDS" in err
    assert listed(run(capsys, "staff", "list")[1])[str(ADMIN)] == ["admin", "(PEAM_ADMIN_IDS)"]

    # a row for a PEAM_ADMIN_IDS id does not hide that it is admin anyway
    assert run(capsys, "staff", "add", str(ADMIN), "--name", "Jefa")[:2] == (
        0,
        [
            f"Se agregó {ADMIN} como moderador.",
            f"Nota: {ADMIN} está en PEAM_ADMIN_IDS y sigue siendo admin mientras esté ahí.",
        ],
    )
    assert listed(run(capsys, "staff", "list")[1])[str(ADMIN)] == ["admin", "Jefa", "(PEAM_ADMIN_IDS)"]
    assert run(capsys, "staff", "remove", str(ADMIN))[0] == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("staff", "add", "12345", "--role", "jefe"), "invalid choice: 'jefe'"),
        (("staff", "add", "abc"), "«abc» no es un id de Telegram"),
        (("staff", "add", "0"), "«0» no es un id de Telegram"),
        (("staff", "remove", "12x"), "«12x» no es un id de Telegram"),
    ],
)
def test_bad_arguments_exit_2(
    db_url: str, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, [])
    assert message in err
    assert "12345" not in listed(run(capsys, "staff", "list")[1])


def test_english_messages(
    db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PEAM_CLI_LANG", "en")
    assert run(capsys, "staff", "add", "12345", "--role", "admin")[:2] == (0, ["Added 12345 as admin."])
    assert listed(run(capsys, "staff", "list")[1])["id"] == ["role", "name"]
    assert run(capsys, "staff", "remove", "777")[2].strip() == "peam-bot: 777 is not on the staff."


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_audit(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str) -> None:
    assert run(capsys, "staff", "add", "12345")[0] == 0
    assert run(capsys, "staff", "add", "12345", "--role", "admin")[0] == 0
    assert run(capsys, "staff", "remove", "12345")[0] == 0

    path = tmp_path / f"auditoria{suffix}"
    assert run(capsys, "export", "audit", str(path))[:2] == (
        0,
        [f"Se exportaron 3 registros de auditoría a {path}."],
    )
    rows = read_csv(path) if suffix == ".csv" else read_xlsx(path)
    assert list(rows[0]) == list(audit.COLUMNS)
    got = [
        (r["accion"], r["objeto"], r["actor_id"] or "", r["antes"] or "", r["despues"] or "") for r in rows
    ]
    assert got == [
        ("staff_add", "staff:12345", "", "", "moderador"),
        ("staff_add", "staff:12345", "", "moderador", "admin"),
        ("staff_remove", "staff:12345", "", "admin", ""),
    ]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_audit_neutralises_formulas(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    async def seed() -> None:
        engine = make_engine(db_url, fast_paths=FAST_PATHS)
        try:
            await upgrade(engine)
            async with make_session_factory(engine)() as session:
                audit.record(
                    session,
                    42,
                    "hide",
                    "INI-2026-00001",
                    before="+51 999",
                    after="@evil",
                    reason='=HYPERLINK("http://x.example","clic")',
                )
                audit.record(
                    session, 42, "note", "INI-2026-00002", before="-1", after="\tx", reason="ok = fine"
                )
                await session.commit()
        finally:
            await engine.dispose()

    asyncio.run(seed())
    path = tmp_path / f"auditoria{suffix}"
    assert run(capsys, "export", "audit", str(path))[0] == 0
    first, second = read_csv(path) if suffix == ".csv" else read_xlsx(path)
    assert str(first["motivo"]).startswith("'=HYPERLINK(")
    assert (first["antes"], first["despues"]) == ("'+51 999", "'@evil")
    assert (second["antes"], second["despues"], second["motivo"]) == ("'-1", "'\tx", "ok = fine")
    assert str(first["actor_id"]) == "42"  # numbers are left alone


def test_export_audit_bad_format(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "auditoria.txt"
    code, out, err = run(capsys, "export", "audit", str(path))
    assert (code, out) == (2, [])
    assert err.strip() == "peam-bot: use un archivo .csv o .xlsx"
    assert not path.exists()
