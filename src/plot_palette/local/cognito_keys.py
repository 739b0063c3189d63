"""The local user pool's signing key: generated for each local cloud, never moto's.

moto signs every Cognito token with one RSA key whose private half ships inside moto, so anyone
could mint a token the local API would accept, for any user. Each local cloud now generates its
own key: user pools created afterwards sign with it, and the pool's JWKS endpoint (which the
local JWT authorizer reads, as API Gateway reads Cognito's) publishes only its public half. A
token signed with moto's key, or with a previous cloud's, is refused with 401.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from joserfc import jwk

# moto's token header names this key id; the JWKS must publish the key under it.
_KEY_ID = "dummy"
_lock = threading.Lock()
_key: jwk.RSAKey | None = None
_installed = False


def rotate() -> None:
    """Generate a new signing key; user pools created from now on sign with it."""
    global _key
    from moto.cognitoidp.responses import CognitoIdpJsonWebKeyResponse

    key = jwk.RSAKey.generate_key(2048, parameters={"kid": _KEY_ID, "use": "sig", "alg": "RS256"})
    with _lock:
        _key = key
        published = {"keys": [key.as_dict(private=False)]}
        CognitoIdpJsonWebKeyResponse.json_web_key = json.dumps(published).encode("utf-8")


def install() -> None:
    """Make moto's user pools sign with the current key (once per process)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    from moto.cognitoidp.models import CognitoIdpUserPool

    shipped_init = CognitoIdpUserPool.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        shipped_init(self, *args, **kwargs)
        with _lock:
            if _key is not None:
                self.json_web_key = _key

    CognitoIdpUserPool.__init__ = __init__  # type: ignore[method-assign]


def signing_key() -> jwk.RSAKey:
    """The current key (tests mint tokens with chosen defects with it)."""
    with _lock:
        if _key is None:
            raise RuntimeError("no local cloud has generated a signing key yet")
        return _key
