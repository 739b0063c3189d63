"""``plot-palette quality JOB_ID``: a quality report as a few readable lines.

Kept apart from the command so the wording is tested without a terminal or an API.
"""

from __future__ import annotations

from typing import Any

CRITERIA = (
    ("coherence", "coherence"),
    ("relevance", "relevance"),
    ("format_compliance", "format"),
    ("overall", "overall"),
)


def quality_lines(report: dict[str, Any]) -> list[str]:
    """The report's status, the judge's scores and the statistics, one fact per line."""
    lines = [f"quality: {report.get('status', 'UNKNOWN')}"]
    if report.get("reason"):
        lines.append(f"  note: {report['reason']}")
    judge = report.get("judge")
    if judge:
        scores = ", ".join(f"{label} {judge[key]:.2f}" for key, label in CRITERIA)
        lines.append(f"judge {judge['model']} on {judge['sampled']} records: {scores} (of 5)")
        lines.append(f"  judge cost ${judge['cost_usd']:.6f}, counted in the job's cost")
    stats = report.get("stats")
    if stats and stats.get("records"):
        length = stats["length"]
        lines.append(f"records assessed: {stats['records']}")
        lines.append(
            f"distinct words {stats['distinct_1']:.1%}, distinct word pairs "
            f"{stats['distinct_2']:.1%}"
        )
        lines.append(
            f"words per record: min {length['min']}, median {length['p50']}, "
            f"p90 {length['p90']}, max {length['max']}, mean {length['mean']}"
        )
        lines.append(
            f"duplicates: {stats['exact_duplicates']} exact, {stats['near_duplicates']} near"
        )
    return lines
