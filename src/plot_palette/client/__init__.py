"""A client of the HTTP API for the CLI: where the API is, signing in, and typed calls."""

from plot_palette.client.api import ApiClient, ApiError, RetryPolicy
from plot_palette.client.session import Session, SessionStore
from plot_palette.client.target import Target, resolve_target

__all__ = [
    "ApiClient",
    "ApiError",
    "RetryPolicy",
    "Session",
    "SessionStore",
    "Target",
    "resolve_target",
]
