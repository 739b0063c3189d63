"""Text other people read refuses control characters at input and is escaped when printed."""

from __future__ import annotations

import io

import pytest
from pydantic import ValidationError

from plot_palette.api.models import CreateJobRequest
from plot_palette.api.models_templates import PublishRequest
from plot_palette.cli.safe_console import SafeConsole
from plot_palette.display_text import check, escaped
from plot_palette.templates.model import PromptTemplate

HOSTILE = [
    "\x1b[2J\x1b[Hcleared",  # clear the screen
    "\x1b]0;pwned\x07title",  # set the terminal's title
    "evil\u202eexe.txt",  # right-to-left override
    "a\u2066b\u2069",  # isolates
    "bell\x07",
    "c1\x9bcontrol",  # a C1 control sequence introducer
    "nul\x00",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_refused_with_the_character_named(text: str) -> None:
    with pytest.raises(ValueError, match=r"U\+[0-9A-F]{4} at character \d+"):
        check(text)
    with pytest.raises(ValueError, match="control characters"):
        check(text, multiline=True)


def test_plain_text_and_line_breaks_in_descriptions_pass() -> None:
    assert check("Poems — «café» 詩 🎉") == "Poems — «café» 詩 🎉"
    assert check("line one\n\tline two", multiline=True) == "line one\n\tline two"
    with pytest.raises(ValueError, match="U\\+000A at character 5"):
        check("name\nsecond")


def test_escaped_shows_what_would_have_acted() -> None:
    assert escaped("\x1b[2Jx") == "\\x1b[2Jx"
    assert escaped("evil\u202eexe") == "evil\\u202eexe"
    assert escaped("keep\nlines\tand tabs") == "keep\nlines\tand tabs"


def test_every_public_text_field_refuses_hostile_text() -> None:
    bad = "x\x1b[31mred"
    with pytest.raises(ValidationError, match="control characters"):
        CreateJobRequest.model_validate(
            {"name": bad, "template_id": "t", "seed_data_key": "x", "records": 1, "budget_usd": 1}
        )
    for field in ("description", "display_name"):
        with pytest.raises(ValidationError, match="control characters"):
            PublishRequest.model_validate({"version": 1, "description": "d", field: bad})
    with pytest.raises(ValidationError, match="control characters"):
        PublishRequest.model_validate({"version": 1, "description": "d", "tags": [bad]})
    step = {"id": "s", "prompt": "hi", "model": "local-echo"}
    for field in ("name", "description"):
        document = {"id": "t", "name": "T", "steps": [step], field: bad}
        with pytest.raises(ValidationError, match="control characters"):
            PromptTemplate.model_validate(document)


def test_the_cli_console_prints_text_and_never_obeys_it() -> None:
    out = io.StringIO()
    console = SafeConsole(
        file=out, force_terminal=True, color_system="standard", width=200, highlight=False
    )
    console.print("[bold]name:[/] " + "\x1b[2J\u202etxt.exe")
    console.print("unbalanced [/] markup from a user")
    text = out.getvalue()
    assert "\\x1b[2J\\u202etxt.exe" in text
    assert "\x1b[2J" not in text and "\u202e" not in text
    assert "\x1b[1m" in text  # rich's own styling still works
    assert "unbalanced [/] markup from a user" in text
