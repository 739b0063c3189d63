"""Batch files for the CLI: the body of ``POST /batches`` as YAML, with paths for convenience.

::

    name: Poem sweep
    job:                       # the fields of POST /jobs
      name: Poems
      template: ../src/plot_palette/templates/builtin/poem-questions.yaml   # or template_id
      sample_dataset: poetry   # or seed_data: a local file (uploaded), or seed_data_key
      records: 10
      budget_usd: 0.50
      chat_format: messages
    sweep:
      records: [5, 10, 20]
      model: [tier-1, tier-2]

Paths are relative to the file. A ``template`` path is read and sent inline; a ``seed_data``
path is returned for the CLI to upload, and its key goes in ``seed_data_key``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from plot_palette import yaml_text
from plot_palette.errors import JobSpecError


@dataclass(frozen=True)
class BatchFile:
    """The request body, and a seed file to upload first (its key goes in the body)."""

    body: dict[str, Any]
    seed_file: Path | None


def load_batch_file(path: Path) -> BatchFile:
    """Read a batch file; every problem is a ``JobSpecError`` naming the file."""
    try:
        data = yaml_text.load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise JobSpecError(f"batch file {path} cannot be read: {error}") from None
    except yaml.YAMLError:
        raise JobSpecError(f"batch file {path} is not valid YAML") from None
    if not isinstance(data, dict) or not isinstance(data.get("job"), dict):
        raise JobSpecError(f"{path}: expected a mapping with name, job and sweep")
    job = dict(data["job"])
    template = job.get("template")
    if isinstance(template, str):
        template_path = path.parent / template
        try:
            loaded = yaml_text.load(template_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            raise JobSpecError(f"{path}: template file {template_path} cannot be read") from None
        if not isinstance(loaded, dict):
            raise JobSpecError(f"{path}: template file {template_path} must hold a mapping")
        job["template"] = loaded
    seed_file = None
    if "seed_data" in job:
        seed_file = path.parent / str(job.pop("seed_data"))
        if not seed_file.is_file():
            raise JobSpecError(f"{path}: seed_data file {seed_file} does not exist")
    return BatchFile({**data, "job": job}, seed_file)
