"""Job specs: what a user writes, and the one-line errors they get when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from plot_palette.errors import JobSpecError
from plot_palette.jobs.spec import load_job_spec, parse_job_spec

ROOT = Path(__file__).resolve().parents[3]


def write_spec(tmp_path: Path, body: str) -> Path:
    (tmp_path / "seeds.jsonl").write_text('{"a": 1}\n')
    (tmp_path / "t.yaml").write_text("id: t\nname: T\nversion: 1\nsteps: []\n")
    path = tmp_path / "job.yaml"
    path.write_text(body)
    return path


def test_demo_spec_loads_with_its_template_and_seed_data() -> None:
    spec, template, seeds = load_job_spec(ROOT / "examples" / "poetry-job.yaml")
    assert spec.records == 100
    assert template["id"] == "poem-questions"
    assert seeds.count(b"\n") == 10


def test_paths_are_relative_to_the_spec(tmp_path: Path) -> None:
    path = write_spec(
        tmp_path, "name: x\ntemplate: t.yaml\nseed_data: seeds.jsonl\nrecords: 3\nbudget_usd: 1\n"
    )
    spec, template, seeds = load_job_spec(path)
    assert (spec.priority, template["id"], seeds) == (5, "t", b'{"a": 1}\n')


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "name: x\ntemplate: t.yaml\nseed_data: seeds.jsonl\nbudget_usd: 1\n",
            "records: Field required",
        ),
        (
            "name: x\ntemplate: t.yaml\nseed_data: seeds.jsonl\nrecords: 0\nbudget_usd: 1\n",
            "records",
        ),
        (
            "name: x\ntemplate: t.yaml\nseed_data: seeds.jsonl\nrecords: 5\nbudget_usd: -2\n",
            "budget_usd",
        ),
        (
            "name: x\ntemplate: t.yaml\nseed_data: seeds.jsonl\nrecords: 5\nbudget_usd: 1e9\n",
            "budget_usd",
        ),
        (
            "name: x\ntemplate: t.yaml\nseed_data: seeds.jsonl\nrecords: 5\nbudget_usd: 1\n"
            "extra: 1\n",
            "extra",
        ),
        (
            "name: x\ntemplate: t.yaml\nseed_data: seeds.jsonl\nrecords: many\nbudget_usd: 1\n",
            "records",
        ),
        (
            "name: x\ntemplate: missing.yaml\nseed_data: seeds.jsonl\nrecords: 5\nbudget_usd: 1\n",
            "missing.yaml",
        ),
        (
            "name: x\ntemplate: t.yaml\nseed_data: nope.jsonl\nrecords: 5\nbudget_usd: 1\n",
            "nope.jsonl",
        ),
        ("- a list\n", "expected a mapping"),
        ("name: [unclosed\n", "not valid YAML"),
    ],
)
def test_bad_specs_get_one_clear_line(tmp_path: Path, body: str, message: str) -> None:
    path = write_spec(tmp_path, body)
    with pytest.raises(JobSpecError) as raised:
        load_job_spec(path)
    text = str(raised.value)
    assert message in text
    assert "\n" not in text


def test_missing_spec_file(tmp_path: Path) -> None:
    with pytest.raises(JobSpecError, match="does not exist"):
        load_job_spec(tmp_path / "absent.yaml")


def test_template_file_must_be_a_mapping(tmp_path: Path) -> None:
    path = write_spec(
        tmp_path, "name: x\ntemplate: t.yaml\nseed_data: seeds.jsonl\nrecords: 1\nbudget_usd: 1\n"
    )
    (tmp_path / "t.yaml").write_text("- not a mapping\n")
    with pytest.raises(JobSpecError, match="must hold a mapping"):
        load_job_spec(path)


def test_inline_template_is_accepted() -> None:
    spec = parse_job_spec(
        {"name": "x", "template": {"id": "t"}, "seed_data": "s", "records": 1, "budget_usd": 0.5}
    )
    assert spec.template == {"id": "t"}


def test_deeply_nested_yaml_is_refused_not_a_traceback(tmp_path: Path) -> None:
    from plot_palette.batches.file import load_batch_file

    deep = "[" * 2000 + "]" * 2000
    spec = tmp_path / "job.yaml"
    spec.write_text(f"template: {deep}\n")
    with pytest.raises(JobSpecError, match="nested more than 64 levels deep"):
        load_job_spec(spec)
    (tmp_path / "template.yaml").write_text(deep)
    (tmp_path / "seeds.jsonl").write_text('{"a": 1}\n')
    spec.write_text(
        "name: deep\ntemplate: template.yaml\nseed_data: seeds.jsonl\nrecords: 1\nbudget_usd: 1\n"
    )
    with pytest.raises(JobSpecError, match="nested more than 64 levels deep"):
        load_job_spec(spec)
    batch = tmp_path / "batch.yaml"
    batch.write_text(f"name: b\njob: {deep}\n")
    with pytest.raises(JobSpecError, match="not valid YAML"):
        load_batch_file(batch)
