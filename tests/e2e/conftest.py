"""The dashboard in a real headless Chromium (Debian's package) against the local cloud and API.

Every test gets a fresh browser context, fails on any console error or uncaught page error, and
leaves screenshots in ``artifacts/e2e/<test>/`` (CI keeps them as artifacts).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from plot_palette.local.cloud import PROJECT_ROOT, LocalCloud
from tests.integration.orchestration.helpers import local_cloud

DIST = PROJECT_ROOT / "frontend" / "dist"
ARTIFACTS = PROJECT_ROOT / "artifacts" / "e2e"


def chromium_path() -> str:
    """Debian's chromium (the project's setup installs it); never a downloaded build."""
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser"):
        found = shutil.which(candidate) if candidate else None
        if found:
            return found
    raise RuntimeError("chromium is not installed: run `make e2e-deps` (apt-get install chromium)")


# Package scope: Playwright's sync API runs an event loop in this thread while it is open, so it
# must stop before the other tiers' asyncio tests run.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=chromium_path(),
        headless=True,
        # Root in a container has no user namespaces for Chromium's sandbox.
        args=["--no-sandbox", "--disable-dev-shm-usage"],
    )
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    if not (DIST / "index.html").exists():
        raise RuntimeError("frontend/dist is missing: `make frontend` builds the dashboard")
    with local_cloud(tmp_path_factory.mktemp("home"), model_latency_ms=20) as running:
        yield running


class Shots:
    """Numbered screenshots of one test."""

    def __init__(self, page: Page, name: str) -> None:
        self._page = page
        self._dir = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
        shutil.rmtree(self._dir, ignore_errors=True)
        self._dir.mkdir(parents=True, exist_ok=True)
        self._count = 0

    def __call__(self, label: str) -> Path:
        self._count += 1
        path = self._dir / f"{self._count:02d}-{label}.png"
        self._page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def expected_console() -> list[str]:
    """Console errors a test provokes on purpose (e.g. the browser logging an expected 404)."""
    return []


@pytest.fixture
def page(
    browser: Browser,
    cloud: LocalCloud,
    request: pytest.FixtureRequest,
    expected_console: list[str],
) -> Iterator[Page]:
    context = browser.new_context(base_url=cloud.endpoints.dashboard_url, accept_downloads=True)
    opened = context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"console error: {message.text}")

    opened.on("console", on_console)
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.shots = Shots(opened, request.node.name)  # type: ignore[attr-defined]
    yield opened
    opened.shots("end")  # type: ignore[attr-defined]
    context.close()
    unexpected = [p for p in problems if not any(allowed in p for allowed in expected_console)]
    assert not unexpected, unexpected
