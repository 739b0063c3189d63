"""The chat formats a job may ask its export in (``chat_format``); the export is ``exports.chat``.

Kept apart from the export code so the job spec, the API models and the CLI can name them
without importing the exports (and pyarrow).
"""

from __future__ import annotations

from typing import Literal, get_args

ChatFormat = Literal["messages", "sharegpt", "prompt_completion"]
CHAT_FORMATS: tuple[str, ...] = get_args(ChatFormat)
