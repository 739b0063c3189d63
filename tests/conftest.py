"""Order the suite longest first, so parallel workers finish together.

``make test`` runs pytest on several processes (pytest-xdist, one test file per unit of work).
A long file that starts last keeps one worker busy after the others have finished; started
first, it runs beside the many short files. Files that take long mark it with
``pytestmark = pytest.mark.slow(seconds=N)``, N being about what the file took here under
``make test``; they run first, longest first, and everything else keeps its order.

A test that records a ``sweep`` property (``record_property("sweep", "...")``) has that line
listed at the end of the run, also from pytest-xdist's workers, whose output is not shown:
the fault sweeps say there how many call sites and faults they covered.
"""

from __future__ import annotations

import pytest


def _weight(item: pytest.Item) -> float:
    mark = item.get_closest_marker("slow")
    if mark is None:
        return 0.0
    return float(mark.kwargs.get("seconds", 30))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_weight, reverse=True)  # stable: equal weights keep collection order


_SWEEPS: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _SWEEPS.extend(str(value) for name, value in report.user_properties if name == "sweep")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SWEEPS:
        terminalreporter.section("fault sweeps")
        for line in _SWEEPS:
            terminalreporter.write_line(line)
