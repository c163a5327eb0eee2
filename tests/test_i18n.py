"""The catalogs are complete: every text the code marks for translation exists in es and en."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from peam_bot.i18n import LOCALES_DIR, pick_locale
from peam_bot.services.formatting import fmt_money

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    pot = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "N_",
         "--ignore-dirs", "emulator", "-o", str(pot), "peam_bot"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        return {m.id for m in read_po(f) if m.id}


@pytest.mark.parametrize("locale", ["es", "en"])
def test_catalog_is_complete_and_consistent(locale: str, extracted: set[str]) -> None:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = {m.id: m.string for m in read_po(f) if m.id}
    missing = sorted(map(str, extracted - {k for k, v in catalog.items() if v}))
    assert not missing, missing
    for msgid in extracted:
        msgstr = catalog[msgid]
        # a plural entry pairs the singular and plural texts with one translation per form (es, en: 2)
        pairs = list(zip(msgid, msgstr, strict=True)) if isinstance(msgid, tuple) else [(msgid, msgstr)]
        for source, target in pairs:
            assert target, msgid
            assert set(re.findall(r"\{\w+\}", source)) == set(re.findall(r"\{\w+\}", target)), msgid
            assert source.count("<b>") == target.count("<b>") and target.count("<b>") == target.count(
                "</b>"
            ), msgid


def test_locale_choice_and_money() -> None:
    assert pick_locale("es-PE") == "es" and pick_locale("en-GB") == "en" and pick_locale("qu") == "es"
    assert pick_locale(None) == "es"
    assert fmt_money(1234.5, "es") == "S/\xa01,234.50"
