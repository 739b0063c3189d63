"""``plot-palette templates export|import`` and ``gallery search|fork`` against a fake API."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from plot_palette.client import ApiClient

# the package re-exports the Typer app under the module's name, so fetch the module itself
cli = importlib.import_module("plot_palette.cli.app")


class FakeHttp(requests.Session):
    """Answers like the API would and remembers what was asked."""

    def __init__(self, answers: dict[tuple[str, str], tuple[int, Any]]) -> None:
        super().__init__()
        self.answers = answers
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        path = url.removeprefix("https://api.test")
        self.calls.append((method, path, kwargs))
        status, body = self.answers[(method, path)]
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        return response


@pytest.fixture
def http(monkeypatch: pytest.MonkeyPatch) -> FakeHttp:
    fake = FakeHttp({})
    monkeypatch.setattr(cli, "_api", lambda: ApiClient("https://api.test", "token", http=fake))
    return fake


def test_export_writes_the_yaml_to_a_file(http: FakeHttp, tmp_path: Path) -> None:
    http.answers[("GET", "/templates/tpl-1/export")] = (
        200,
        {"template_id": "tpl-1", "version": 2, "yaml": "id: tpl-1\nname: T\n"},
    )
    target = tmp_path / "t.yaml"
    result = CliRunner().invoke(
        cli.app, ["templates", "export", "tpl-1", "--version", "2", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_text() == "id: tpl-1\nname: T\n"
    assert http.calls[0][2]["params"] == {"version": 2}


def test_import_sends_the_file_and_reports_an_error_in_one_line(
    http: FakeHttp, tmp_path: Path
) -> None:
    source = tmp_path / "t.yaml"
    source.write_text("name: T\nsteps: []\n")
    http.answers[("POST", "/templates/import")] = (
        400,
        {"message": "steps: List should have at least 1 item after validation, not 0"},
    )
    result = CliRunner().invoke(cli.app, ["templates", "import", str(source)])
    assert result.exit_code == 1
    assert http.calls[0][2]["json"] == {"yaml": "name: T\nsteps: []\n"}
    assert "steps: List should have at least 1 item" in result.output
    http.answers[("POST", "/templates/import")] = (
        201,
        {"template_id": "tpl-9", "document": {"name": "T"}},
    )
    result = CliRunner().invoke(cli.app, ["templates", "import", str(source)])
    assert result.exit_code == 0 and "imported tpl-9" in result.output


def test_gallery_search_and_fork(http: FakeHttp) -> None:
    http.answers[("GET", "/gallery")] = (
        200,
        {
            "entries": [
                {
                    "gallery_id": "gal-1",
                    "name": "Sonnets",
                    "description": "d",
                    "tags": ["poetry"],
                    "author": None,
                    "forks": 3,
                    "published_at": "2026-11-25T12:00:00Z",
                    "steps": 1,
                }
            ],
            "next_cursor": None,
        },
    )
    result = CliRunner().invoke(cli.app, ["gallery", "search", "sonnet", "--sort", "forks"])
    assert result.exit_code == 0, result.output
    assert "gal-1" in result.output and "Sonnets" in result.output
    assert http.calls[0][2]["params"] == {"q": "sonnet", "sort": "forks", "limit": 20}
    http.answers[("POST", "/gallery/gal-1/fork")] = (
        201,
        {"template_id": "tpl-2", "version": 1, "document": {"name": "Sonnets"}},
    )
    result = CliRunner().invoke(cli.app, ["gallery", "fork", "gal-1"])
    assert result.exit_code == 0 and "forked into tpl-2" in result.output
    http.answers[("POST", "/gallery/gal-x/fork")] = (
        404,
        {"message": "gallery template gal-x not found"},
    )
    result = CliRunner().invoke(cli.app, ["gallery", "fork", "gal-x"])
    assert result.exit_code == 1 and "not found" in result.output
