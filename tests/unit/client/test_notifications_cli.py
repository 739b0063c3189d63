"""``plot-palette notifications show|set|rotate-secret|test`` against a fake API."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from typer.testing import CliRunner

from plot_palette.cli.notifications import (
    NotificationOptionsError,
    delivery_lines,
    settings_request,
)
from plot_palette.client import ApiClient
from tests.unit.client.test_templates_gallery_cli import FakeHttp

cli = importlib.import_module("plot_palette.cli.app")
PATH = "/settings/notifications"
SAVED: dict[str, Any] = {
    "email": False,
    "webhook_url": "https://hooks.example.com/in",
    "events": ["COMPLETED", "FAILED", "BUDGET_EXCEEDED", "CANCELLED"],
    "has_webhook_secret": True,
    "updated_at": "2026-12-01T08:00:00Z",
}


@pytest.fixture
def http(monkeypatch: pytest.MonkeyPatch) -> FakeHttp:
    fake = FakeHttp({})
    monkeypatch.setattr(cli, "_api", lambda: ApiClient("https://api.test", "token", http=fake))
    return fake


def test_show_prints_the_settings_without_a_secret(http: FakeHttp) -> None:
    http.answers[("GET", PATH)] = (200, SAVED)
    result = CliRunner().invoke(cli.app, ["notifications", "show"])
    assert result.exit_code == 0, result.output
    assert "email:   off" in result.output
    assert "webhook: https://hooks.example.com/in" in result.output
    assert "events:  COMPLETED, FAILED, BUDGET_EXCEEDED, CANCELLED" in result.output
    assert "secret:  set (shown only when created or rotated)" in result.output


def test_set_changes_only_what_its_options_name(http: FakeHttp) -> None:
    http.answers[("GET", PATH)] = (200, SAVED)
    http.answers[("PUT", PATH)] = (200, {**SAVED, "email": True, "events": ["FAILED", "COMPLETED"]})
    result = CliRunner().invoke(
        cli.app, ["notifications", "set", "--email", "--events", "failed", "--events", "COMPLETED"]
    )
    assert result.exit_code == 0, result.output
    [(_, _, put)] = [call for call in http.calls if call[0] == "PUT"]
    # the webhook the user did not mention is kept; events go in the API's order
    assert put["json"] == {
        "email": True,
        "webhook_url": "https://hooks.example.com/in",
        "events": ["COMPLETED", "FAILED"],
    }
    assert "saved" in result.output and "email:   on" in result.output


def test_the_first_save_prints_the_new_secret_once_with_how_to_verify_it(http: FakeHttp) -> None:
    http.answers[("GET", PATH)] = (
        200,
        {**SAVED, "webhook_url": None, "has_webhook_secret": False, "updated_at": None},
    )
    http.answers[("PUT", PATH)] = (200, {**SAVED, "webhook_secret": "whsec_abc"})
    result = CliRunner().invoke(
        cli.app, ["notifications", "set", "--webhook", "https://hooks.example.com/in"]
    )
    assert result.exit_code == 0, result.output
    assert "new signing secret (shown once, store it now): whsec_abc" in result.output
    assert "X-Plot-Palette-Signature" in result.output


def test_a_refused_webhook_is_one_line_and_exit_1(http: FakeHttp) -> None:
    http.answers[("GET", PATH)] = (200, SAVED)
    message = "webhook_url: the webhook host 127.0.0.1 resolves to 127.0.0.1, which is a loopback"
    http.answers[("PUT", PATH)] = (400, {"message": message})
    result = CliRunner().invoke(
        cli.app, ["notifications", "set", "--webhook", "https://127.0.0.1/hook"]
    )
    assert result.exit_code == 1
    assert f"{message} (HTTP 400)" in " ".join(result.output.split())


def test_contradicting_or_unknown_options_send_nothing(http: FakeHttp) -> None:
    http.answers[("GET", PATH)] = (200, SAVED)
    for args in (
        ["--webhook", "https://hooks.example.com/x", "--no-webhook"],
        ["--events", "STARTED"],
    ):
        result = CliRunner().invoke(cli.app, ["notifications", "set", *args])
        assert result.exit_code == 1, result.output
    assert [call for call in http.calls if call[0] == "PUT"] == []


def test_rotate_secret_prints_the_new_secret(http: FakeHttp) -> None:
    http.answers[("POST", f"{PATH}/rotate-secret")] = (200, {**SAVED, "webhook_secret": "whsec_n"})
    result = CliRunner().invoke(cli.app, ["notifications", "rotate-secret"])
    assert result.exit_code == 0, result.output
    assert "whsec_n" in result.output


def test_test_reports_each_channel_and_fails_when_one_did_not_deliver(http: FakeHttp) -> None:
    http.answers[("POST", f"{PATH}/test")] = (
        200,
        {
            "webhook": {"delivered": True, "status": 200, "attempts": 1, "error": None},
            "email": {"delivered": False, "error": "your account has no verified email address"},
        },
    )
    result = CliRunner().invoke(cli.app, ["notifications", "test"])
    assert result.exit_code == 1
    assert "webhook: delivered (HTTP 200) after 1 attempt" in result.output
    assert "email:   not sent: your account has no verified email address" in result.output
    http.answers[("POST", f"{PATH}/test")] = (200, {"webhook": None, "email": {"delivered": True}})
    result = CliRunner().invoke(cli.app, ["notifications", "test"])
    assert result.exit_code == 0, result.output
    assert "email:   sent" in result.output


def test_settings_request_clears_the_webhook_and_splits_comma_lists() -> None:
    body = settings_request(SAVED, no_webhook=True, events=["cancelled,budget_exceeded"])
    assert body == {"email": False, "webhook_url": None, "events": ["BUDGET_EXCEEDED", "CANCELLED"]}
    with pytest.raises(NotificationOptionsError, match="unknown event NOPE"):
        settings_request(SAVED, events=["nope"])


def test_delivery_lines_when_no_channel_is_set_up() -> None:
    assert delivery_lines({"webhook": None, "email": None}) == (
        ["nothing was sent: no channel is set up"],
        False,
    )
