"""The error hierarchy every part of Plot Palette raises, so callers can map errors to users.

Users see ``str(error)``: messages are written for them (no tracebacks, no seed text, no
secrets). Adapters translate AWS error codes into these classes; nothing decides by matching
message text.
"""

from __future__ import annotations


class PlotPaletteError(Exception):
    """Base of every error Plot Palette raises on purpose."""


class ConfigurationError(PlotPaletteError):
    """The deployment or the local cloud is configured wrongly (missing variable, bad file)."""


class JobSpecError(PlotPaletteError):
    """A job specification is missing, unreadable or invalid."""


class TemplateValidationError(PlotPaletteError):
    """A prompt template is invalid or tries something the sandbox forbids."""


class SeedDataValidationError(PlotPaletteError):
    """Seed data is malformed, too large or lacks a field the template needs."""


class BudgetExceededError(PlotPaletteError):
    """The next model call cannot be afforded within the job's budget."""


class ModelInvocationError(PlotPaletteError):
    """A model call failed for good (after the retries the policy allows)."""


class ThrottledError(ModelInvocationError):
    """The model service throttled the call; retryable."""


class CallOutcomeUnknownError(ModelInvocationError):
    """The request was sent but its answer was lost (read timeout, connection closed).

    The model may have answered and billed it, so the caller must count it as spent (at its
    worst case) before asking again: a retry under the same reservation would let real spend
    run past what the budget recorded.
    """


class ConflictError(PlotPaletteError):
    """A conditional write lost a race (DynamoDB condition or S3 precondition)."""


class NotFoundError(PlotPaletteError):
    """The resource does not exist, or does not belong to the caller."""


class ExportError(PlotPaletteError):
    """An export could not be written."""


class LocalCloudError(PlotPaletteError):
    """The embedded local cloud cannot start or is not running."""
