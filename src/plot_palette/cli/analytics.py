"""``plot-palette analytics``: a cost report (``GET /analytics/costs``) printed for people."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

if TYPE_CHECKING:
    from rich.console import Console


def _usd(value: float | None) -> str:
    return "-" if value is None else f"${value:,.6f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _spend_table(title: str, first: str, rows: list[dict[str, Any]], total: float) -> Table:
    table = Table(first, "spend", "share", "jobs", title=title, title_justify="left")
    for row in rows:
        share = row["spend_usd"] / total if total else None
        table.add_row(row["key"], _usd(row["spend_usd"]), _percent(share), str(row["jobs"]))
    return table


def print_cost_report(console: Console, report: dict[str, Any]) -> None:
    """Totals, budget efficiency, then spend by day (days with spend), week, model, template."""
    total = float(report["spend_usd"])
    console.print(
        f"[bold]Spend over the last {report['days']} days[/] "
        f"({report['first_day']} to {report['last_day']}, UTC): [bold]{_usd(total)}[/] "
        f"on {report['jobs']} jobs, {report['records']:,} records"
    )
    if not report["jobs"]:
        console.print("no jobs were submitted in this window")
        return
    efficiency = report["efficiency"]
    console.print(
        f"Budget efficiency: {efficiency['finished_jobs']} finished jobs spent "
        f"{_usd(efficiency['spent_usd'])} of {_usd(efficiency['budgeted_usd'])} budgeted "
        f"({_percent(efficiency['budget_used'])} used); "
        f"{efficiency['budget_exceeded_jobs']} stopped at their budget "
        f"({_percent(efficiency['budget_exceeded_share'])})"
    )
    per_usd = efficiency["records_per_usd"]
    console.print(
        f"Records per dollar: {'-' if per_usd is None else f'{per_usd:,.1f}'}; "
        f"cost per record: {_usd(efficiency['cost_per_record_usd'])}"
    )
    days = [row for row in report["by_day"] if row["spend_usd"] or row["jobs"]]
    idle = len(report["by_day"]) - len(days)
    by_day = _spend_table("By day", "day", days, total)
    if idle:
        by_day.caption = f"{idle} days without jobs not shown"
    console.print(by_day)
    console.print(_spend_table("By ISO week", "week", report["by_week"], total))
    console.print(_spend_table("By model", "model", report["by_model"], total))
    console.print(_spend_table("By template", "template", report["by_template"], total))
