"""The HTTP API's JWT authorizer, locally: verify a Cognito token the way API Gateway does.

API Gateway's JWT authorizer (HTTP APIs) accepts a request only when the token in
``Authorization`` (optionally prefixed ``Bearer``) is signed by a key of the issuer's JWKS, its
``iss`` is the configured issuer, its ``aud`` (ID tokens) or ``client_id`` (access tokens) is
one of the configured audiences, and ``exp``/``nbf``/``iat`` are valid now. Anything else is a
401 before the function runs. The verified claims reach the function in
``requestContext.authorizer.jwt.claims``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from plot_palette.errors import PlotPaletteError

CLOCK_SKEW_SECONDS = 0


class UnauthorizedError(PlotPaletteError):
    """The request carries no valid token for this API (API Gateway answers 401)."""


class JwtAuthorizer:
    """Verifies tokens against one issuer's keys and a list of audiences."""

    def __init__(
        self,
        *,
        issuer: str,
        audiences: list[str],
        fetch_jwks: Callable[[], dict[str, Any]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuer = issuer
        self._audiences = set(audiences)
        self._fetch_jwks = fetch_jwks
        self._keys: KeySet | None = None
        self._clock = clock

    def _key_set(self) -> KeySet:
        if self._keys is None:
            self._keys = KeySet.import_key_set(self._fetch_jwks())  # type: ignore[arg-type]
        return self._keys

    def verify(self, authorization: str | None) -> dict[str, Any]:
        """The token's claims, or ``UnauthorizedError`` saying nothing about why (as AWS does)."""
        if not authorization:
            raise UnauthorizedError("Unauthorized")
        token = authorization.strip()
        if token[:7].lower() == "bearer ":
            token = token[7:].strip()
        try:
            decoded = jwt.decode(token, self._key_set(), algorithms=["RS256"])
        except (JoseError, ValueError, TypeError):
            raise UnauthorizedError("Unauthorized") from None
        claims: dict[str, Any] = dict(decoded.claims)
        now = self._clock()
        audience = claims.get("client_id") if claims.get("token_use") == "access" else None
        audience = audience or claims.get("aud")
        try:
            valid = (
                claims.get("iss") == self._issuer
                and audience in self._audiences
                and float(claims["exp"]) > now - CLOCK_SKEW_SECONDS
                and float(claims.get("nbf", 0)) <= now + CLOCK_SKEW_SECONDS
                and float(claims.get("iat", 0)) <= now + CLOCK_SKEW_SECONDS + 1
                and bool(claims.get("sub"))
            )
        except (KeyError, TypeError, ValueError):
            valid = False
        if not valid:
            raise UnauthorizedError("Unauthorized")
        return claims
