"""Load the sample events in ``events/`` (shared with ``sam local invoke``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EVENTS = Path(__file__).resolve().parents[1] / "events"


def load_event(name: str) -> Any:
    """The parsed JSON of ``events/<name>.json``."""
    return json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
