"""The local user pool allows an app client only the sign-in flows its ``ExplicitAuthFlows``
name, as Cognito does.

moto signs in through any flow on any client, so a client locked to SRP on AWS (the
dashboard's: the password never leaves the browser) would still take a plain password locally,
and a dashboard that sent one would work here and fail on AWS. ``InitiateAuth`` now answers
``InvalidParameterException`` "Auth flow not enabled for this client" for a flow its client
does not allow.
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_installed = False
# InitiateAuth's AuthFlow -> the ExplicitAuthFlows entry that allows it
_ALLOWED_BY = {
    "USER_SRP_AUTH": "ALLOW_USER_SRP_AUTH",
    "USER_PASSWORD_AUTH": "ALLOW_USER_PASSWORD_AUTH",
    "REFRESH_TOKEN_AUTH": "ALLOW_REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN": "ALLOW_REFRESH_TOKEN_AUTH",
    "CUSTOM_AUTH": "ALLOW_CUSTOM_AUTH",
    "USER_AUTH": "ALLOW_USER_AUTH",
}


def install() -> None:
    """Patch moto's InitiateAuth once per process."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    from moto.cognitoidp.exceptions import InvalidParameterException
    from moto.cognitoidp.responses import CognitoIdpResponse

    shipped = CognitoIdpResponse.initiate_auth

    def initiate_auth(self: Any) -> Any:
        client_id = self._get_param("ClientId")
        flow = str(self._get_param("AuthFlow") or "")
        backend = self._get_region_agnostic_backend()._find_backend_for_clientid(client_id)
        client = next(
            (
                pool.clients[client_id]
                for pool in backend.user_pools.values()
                if client_id in pool.clients
            ),
            None,
        )
        if client is not None:
            allowed = client.extended_config.get("ExplicitAuthFlows") or []
            if allowed and _ALLOWED_BY.get(flow) not in allowed:
                raise InvalidParameterException("Auth flow not enabled for this client")
        return shipped(self)

    CognitoIdpResponse.initiate_auth = initiate_auth  # type: ignore[method-assign]
