"""Region-agnostic (ADR-012): no region, AZ or account id is written in the templates or in the
code that deploys - ARNs are built from pseudo parameters, AZs from Fn::GetAZs.

Scanned: template.yaml, stacks/, statemachines/, functions/, worker/ and samconfig.toml. The
plot_palette package is not: its local cloud emulates one fixed region by design and its model
registry lists, as data, the regions each model is offered in.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.unit.infra.cfn import ROOT, STACKS

REGION = re.compile(
    r"\b(?:us|eu|ap|sa|ca|me|af|il|mx|cn)-(?:gov-|iso-|isob-)?"
    r"(?:north|south|east|west|central|northeast|southeast|southwest|northwest)-\d+[a-z]?\b"
)
ACCOUNT = re.compile(r"(?<![\d.])\d{12}(?![\d.])")

SCANNED = sorted(
    [ROOT / "template.yaml", ROOT / "samconfig.toml", *STACKS]
    + list((ROOT / "statemachines").glob("*.json"))
    + [p for p in (ROOT / "functions").rglob("*.py")]
    + [p for p in (ROOT / "worker").rglob("*") if p.is_file()]
)
IDS = [str(path.relative_to(ROOT)) for path in SCANNED]


@pytest.mark.parametrize("path", SCANNED, ids=IDS)
def test_no_region_or_az_name_is_written(path: Path) -> None:
    found = REGION.findall(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)} names {found}"


@pytest.mark.parametrize("path", SCANNED, ids=IDS)
def test_no_account_id_is_written(path: Path) -> None:
    found = ACCOUNT.findall(path.read_text(encoding="utf-8"))
    assert not found, f"{path.relative_to(ROOT)} names {found}"


@pytest.mark.parametrize("path", [ROOT / "template.yaml", *STACKS], ids=lambda p: p.name)
def test_arns_in_templates_take_the_partition_from_the_stack(path: Path) -> None:
    assert "arn:aws:" not in path.read_text(encoding="utf-8")


def test_the_scan_catches_what_it_looks_for() -> None:
    assert REGION.findall("arn:aws:sqs:eu-west-1:123456789012:q, us-gov-west-1, ap-south-2a")
    assert ACCOUNT.findall("arn:aws:sqs:eu-west-1:123456789012:q")
    assert not ACCOUNT.findall("version 1.43.11, port 10240, 10.0.0.0/16")
