"""The local JWT authorizer accepts exactly what API Gateway's would."""

from __future__ import annotations

import time
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from plot_palette.local.jwt_authorizer import JwtAuthorizer, UnauthorizedError

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "k1"})
NOW = 1_800_000_000.0


def authorizer() -> JwtAuthorizer:
    return JwtAuthorizer(
        issuer=ISSUER,
        audiences=["dashboard", "cli"],
        fetch_jwks=lambda: {"keys": [KEY.as_dict(private=False)]},
        clock=lambda: NOW,
    )


def token(key: RSAKey = KEY, **changes: Any) -> str:
    claims = {
        "iss": ISSUER,
        "sub": "user-1",
        "client_id": "cli",
        "token_use": "access",
        "iat": int(NOW) - 10,
        "exp": int(NOW) + 3600,
        **changes,
    }
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


def test_a_valid_access_token_gives_its_claims() -> None:
    claims = authorizer().verify(f"Bearer {token()}")
    assert claims["sub"] == "user-1"


def test_an_id_token_is_checked_by_its_audience() -> None:
    id_token = token(client_id=None, token_use="id", aud="dashboard")
    assert authorizer().verify(id_token)["sub"] == "user-1"
    with pytest.raises(UnauthorizedError):
        authorizer().verify(token(client_id=None, token_use="id", aud="elsewhere"))


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "Bearer",
        "Bearer abc.def.ghi",
        f"Bearer {token(key=OTHER_KEY)}",
        f"Bearer {token(iss='https://cognito-idp.us-east-1.amazonaws.com/other')}",
        f"Bearer {token(client_id='someone-else')}",
        f"Bearer {token(exp=int(NOW) - 1)}",
        f"Bearer {token(nbf=int(NOW) + 600)}",
        f"Bearer {token(iat=int(NOW) + 600)}",
        f"Bearer {token(sub=None)}",
        f"Bearer {token(exp='soon')}",
    ],
    # The tokens are signed with keys made at import: ids by position keep the test ids stable
    # across processes (pytest-xdist collects in each worker and compares).
    ids=lambda bad: None if bad is None or len(bad) < 40 else "signed-token",
)
def test_anything_else_is_unauthorized(bad: str | None) -> None:
    with pytest.raises(UnauthorizedError):
        authorizer().verify(bad)


def test_an_unsigned_token_is_refused() -> None:
    header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    payload = token().split(".")[1]
    with pytest.raises(UnauthorizedError):
        authorizer().verify(f"{header}.{payload}.")


def test_the_real_clock_is_the_default() -> None:
    live = JwtAuthorizer(
        issuer=ISSUER,
        audiences=["cli"],
        fetch_jwks=lambda: {"keys": [KEY.as_dict(private=False)]},
    )
    fresh = token(iat=int(time.time()) - 5, exp=int(time.time()) + 60)
    assert live.verify(fresh)["sub"] == "user-1"
