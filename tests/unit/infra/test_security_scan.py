"""Security-scan hygiene: every finding checkov is told to skip carries its justification, and
the templates say nothing the scan cannot see (secrets, public principals)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.infra.cfn import ROOT, STACKS, raw


@pytest.mark.parametrize("path", STACKS, ids=lambda p: p.name)
def test_every_skipped_check_says_why(path: Path) -> None:
    for logical, body in raw(path)["Resources"].items():
        skips = body.get("Metadata", {}).get("checkov", {}).get("skip", [])
        for skip in skips:
            assert skip["id"].startswith("CKV"), (logical, skip)
            assert len(skip.get("comment", "").split()) >= 6, (
                f"{path.name}: {logical} skips {skip['id']} without a real justification"
            )


@pytest.mark.parametrize("path", [ROOT / "template.yaml", *STACKS], ids=lambda p: p.name)
def test_no_secret_is_a_template_default(path: Path) -> None:
    for name, declaration in raw(path).get("Parameters", {}).items():
        lowered = name.lower()
        if any(word in lowered for word in ("password", "secret", "token", "apikey")):
            assert "Default" not in declaration, f"{path.name}: {name} has a default"
            assert declaration.get("NoEcho") is True, f"{path.name}: {name} is echoed"
