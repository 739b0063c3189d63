"""The CLI's console: text from the API (names, tags, descriptions, error messages) is printed,
never obeyed.

What the CLI prints often comes from other users (a gallery entry's name and author) or echoes
what someone typed. Every segment of text passes through ``display_text.escaped`` on its way to
the terminal, so an escape sequence or a bidirectional override shows as ``\\x1b`` or
``\\u202e`` instead of acting; rich's own styling travels beside the text, not in it, and is
untouched. Brackets in such text could also read as rich markup: a message whose markup does
not parse is printed as plain text rather than failing the command.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.errors import MarkupError
from rich.segment import Segment

from plot_palette.display_text import escaped


class SafeConsole(Console):
    """A rich ``Console`` that escapes control characters in whatever it prints."""

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        return super()._render_buffer(
            segment if segment.control else Segment(escaped(segment.text), segment.style)
            for segment in buffer
        )

    def print(self, *objects: Any, **kwargs: Any) -> None:
        try:
            super().print(*objects, **kwargs)
        except MarkupError:
            super().print(*objects, **{**kwargs, "markup": False})
