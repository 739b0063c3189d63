"""``plot-palette templates test`` and ``plot-palette seed generate`` against ``local up``."""

from __future__ import annotations

import subprocess
from pathlib import Path

from typer.testing import CliRunner

from plot_palette.cli import app
from plot_palette.templates import parse_seed_data
from tests.integration.test_cli import ROOT, local_up, sign_in

__all__ = ["local_up"]  # the fixture, imported for these tests

TEMPLATE = ROOT / "src/plot_palette/templates/builtin/poem-questions.yaml"
SEEDS = ROOT / "sample-datasets/poetry/poems.jsonl"


def test_a_template_test_run_and_generated_seeds_from_the_cli(
    local_up: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    sign_in("seeds@example.com")
    runner = CliRunner()
    tested = runner.invoke(
        app, ["templates", "test", str(TEMPLATE), "--seeds", str(SEEDS), "--count", "2"]
    )
    assert tested.exit_code == 0, tested.output
    assert "answered by local-endpoint" in tested.output
    assert tested.output.count("question on ") == 2
    assert tested.output.count("answer on ") == 2
    assert "You are a curious literature student." in tested.output
    assert "4 calls" in tested.output and "0 errors" in tested.output

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"poem": {"title": "only a title"}}\n')
    failed = runner.invoke(app, ["templates", "test", str(TEMPLATE), "--seeds", str(broken)])
    assert failed.exit_code == 1
    assert "error: step 'question'" in failed.output

    target = tmp_path / "generated.jsonl"
    made = runner.invoke(
        app,
        ["seed", "generate", "--template", "poem-questions", "--count", "12", "-o", str(target)],
    )
    assert made.exit_code == 0, made.output
    assert "12 of 12 records (0 dropped)" in made.output
    assert "seed_data_key: seed-data/" in made.output
    records = parse_seed_data(target.read_bytes())
    assert len(records) == 12 and all(record["poem"]["title"] for record in records)

    too_many = runner.invoke(
        app, ["seed", "generate", "--template", "poem-questions", "--count", "101"]
    )
    assert too_many.exit_code != 0
