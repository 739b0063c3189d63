"""Who is calling: the ``sub`` claim the JWT authorizer verified (never a header or the body)."""

from __future__ import annotations

from typing import Any

from plot_palette.errors import PlotPaletteError


class UnauthenticatedError(PlotPaletteError):
    """The request reached the function without verified claims (a misconfigured route)."""


def caller_id(resolver: Any) -> str:
    """The verified user id of the current request."""
    claims = resolver.current_event.request_context.authorizer.jwt_claim
    subject = claims.get("sub") if isinstance(claims, dict) else None
    if not subject:
        raise UnauthenticatedError("sign in first: this request carries no verified identity")
    return str(subject)
