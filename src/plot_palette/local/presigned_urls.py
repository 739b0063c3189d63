"""Presigned S3 URLs checked as S3 checks them: signature, expiry and the key they were made for.

moto's S3 serves a presigned URL whatever its signature says, so a URL with another key pasted
in, an expired one, or one with a made-up signature all worked locally: a download link could be
turned into a link to anybody's object. Here a request that carries ``X-Amz-Signature`` is
verified before moto sees it: the signature is computed again with botocore's SigV4 query signer
from the request as received (method, host, path, query, the signed headers) and the secret of
the access key it names, and compared in constant time; an expired URL is refused too. The
answers are S3's (403 ``SignatureDoesNotMatch``, ``AccessDenied`` "Request has expired",
``InvalidAccessKeyId``). A Signature Version 2 URL is refused as S3 refuses it for any bucket
created since June 2020 (400 ``InvalidRequest``): a client that presigns without
``signature_version="s3v4"`` makes links that work on moto and nowhere else.
"""

from __future__ import annotations

import hmac
import time
from calendar import timegm
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_AUTH_PARAMETERS = {
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
}
_MAX_EXPIRES = 7 * 24 * 3600  # S3's limit for SigV4 presigned URLs


@dataclass(frozen=True)
class Refusal:
    """What S3 answers a presigned request it does not accept."""

    code: str
    message: str

    def xml(self) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{self.code}</Code><Message>{self.message}</Message></Error>"
        ).encode()


def check(
    method: str,
    url: str,
    headers: Mapping[str, str],
    secrets: Mapping[str, str],
    *,
    now: float | None = None,
) -> Refusal | None:
    """None when the presigned request is valid, else S3's refusal."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    params = dict(query)
    if "AWSAccessKeyId" in params and "X-Amz-Signature" not in params:
        # Signature Version 2: S3 refuses it for every bucket created since June 2020.
        return Refusal(
            "InvalidRequest",
            "The authorization mechanism you have provided is not supported. "
            "Please use AWS4-HMAC-SHA256.",
        )
    try:
        access_key, _date, region, service, _ = params["X-Amz-Credential"].split("/")
        amz_date = params["X-Amz-Date"]
        expires = int(params["X-Amz-Expires"])
        signed_headers = params["X-Amz-SignedHeaders"].split(";")
        given = params["X-Amz-Signature"]
        signed_at = timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    except (KeyError, ValueError):
        return Refusal(
            "AuthorizationQueryParametersError", "Query-string authentication is malformed"
        )
    secret = secrets.get(access_key)
    if secret is None:
        return Refusal(
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    if not 1 <= expires <= _MAX_EXPIRES:
        return Refusal("AuthorizationQueryParametersError", "X-Amz-Expires is out of range")
    if (now if now is not None else time.time()) > signed_at + expires:
        return Refusal("AccessDenied", "Request has expired")
    expected = _signature(
        method,
        parts,
        query,
        headers,
        signed_headers,
        access_key,
        secret,
        region,
        service,
        amz_date,
        expires,
    )
    if not hmac.compare_digest(expected, given):
        return Refusal(
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    return None


def _signature(
    method: str,
    parts: Any,
    query: list[tuple[str, str]],
    headers: Mapping[str, str],
    signed_headers: list[str],
    access_key: str,
    secret: str,
    region: str,
    service: str,
    amz_date: str,
    expires: int,
) -> str:
    """The signature botocore's query signer gives this request at its own timestamp."""
    kept = [(k, v) for k, v in query if k not in _AUTH_PARAMETERS]
    unsigned_url = urlunsplit(parts._replace(query=urlencode(kept)))
    lowered = {name.lower(): value for name, value in headers.items()}
    request = AWSRequest(
        method=method,
        url=unsigned_url,
        headers={name: lowered.get(name, "") for name in signed_headers},
    )
    request.context["timestamp"] = amz_date
    signer = S3SigV4QueryAuth(Credentials(access_key, secret), service, region, expires=expires)
    # the auth parameters, added as when it signed (a method botocore's stubs do not declare)
    getattr(signer, "_modify_request_before_signing")(request)  # noqa: B009
    canonical = signer.canonical_request(request)
    return str(signer.signature(signer.string_to_sign(request, canonical), request))


# Access key id -> secret of every credential the local cloud hands out: set while a local cloud
# runs (moto alone, in tests that start only moto, is left as shipped).
known_secrets: dict[str, str] = {}
_installed = False


def install() -> None:
    """Verify every presigned request to moto's S3 before moto answers it (once per process)."""
    global _installed
    if _installed:
        return
    _installed = True
    from wsgiref.util import request_uri

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    shipped_call = DomainDispatcherApplication.__call__

    def __call__(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        query = environ.get("QUERY_STRING", "")
        presigned = "X-Amz-Signature=" in query or (
            "Signature=" in query and "AWSAccessKeyId=" in query
        )
        # a browser's CORS preflight carries the URL but no signature of its own: S3 answers it
        # from the bucket's CORS rules without authenticating it
        if known_secrets and presigned and environ.get("REQUEST_METHOD") != "OPTIONS":
            backend_app = self.get_application(environ)
            if getattr(backend_app, "service", None) == "s3":
                headers = {
                    key[5:].replace("_", "-"): value
                    for key, value in environ.items()
                    if key.startswith("HTTP_")
                }
                # WSGI keeps these two out of the HTTP_ variables
                for variable, name in (
                    ("CONTENT_TYPE", "Content-Type"),
                    ("CONTENT_LENGTH", "Content-Length"),
                ):
                    if environ.get(variable):
                        headers[name] = environ[variable]
                refusal = check(
                    environ["REQUEST_METHOD"], request_uri(environ), headers, known_secrets
                )
                if refusal is not None:
                    body = refusal.xml()
                    start_response(
                        "400 Bad Request" if refusal.code == "InvalidRequest" else "403 Forbidden",
                        [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
                    )
                    return [body]
        return shipped_call(self, environ, start_response)

    DomainDispatcherApplication.__call__ = __call__  # type: ignore[method-assign]
