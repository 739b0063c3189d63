"""Presigned S3 URLs are checked as S3 checks them: signature, expiry, key, access key."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from plot_palette.local.presigned_urls import check

SECRETS = {"local": "local"}


def s3(signature_version: str = "s3v4") -> object:
    return boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:5000",
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(signature_version=signature_version),
    )


def presign(method: str = "get_object", expires: int = 600, **params: object) -> str:
    client: Any = s3()
    return str(
        client.generate_presigned_url(
            method,
            Params={"Bucket": "b", "Key": "jobs/j1/exports/data.jsonl", **params},
            ExpiresIn=expires,
        )
    )


def host_of(url: str) -> dict[str, str]:
    return {"Host": urlsplit(url).netloc}


def test_a_url_as_it_was_signed_is_accepted() -> None:
    url = presign()
    assert check("GET", url, host_of(url), SECRETS) is None
    upload = presign("put_object", ContentType="application/x-ndjson", ContentLength=12)
    headers = {**host_of(upload), "Content-Type": "application/x-ndjson", "Content-Length": "12"}
    assert check("PUT", upload, headers, SECRETS) is None
    bigger = check("PUT", upload, {**headers, "Content-Length": "13"}, SECRETS)
    assert bigger is not None and bigger.code == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda url: url.replace("jobs/j1/", "jobs/someone-else/"), "SignatureDoesNotMatch"),
        (lambda url: url.replace("X-Amz-Signature=", "X-Amz-Signature=0"), "SignatureDoesNotMatch"),
        (
            lambda url: url.replace("X-Amz-Expires=600", "X-Amz-Expires=6000"),
            "SignatureDoesNotMatch",
        ),
        (lambda url: url.replace("Credential=local", "Credential=other"), "InvalidAccessKeyId"),
        (lambda url: url.split("&X-Amz-Signature")[0], "AuthorizationQueryParametersError"),
    ],
    ids=["another key", "forged signature", "longer expiry", "unknown access key", "unsigned"],
)
def test_a_changed_url_is_refused(change, code: str) -> None:  # type: ignore[no-untyped-def]
    url = change(presign())
    refusal = check("GET", url, host_of(url), SECRETS)
    assert refusal is not None and refusal.code == code


def test_a_url_used_for_another_method_or_after_it_expired_is_refused() -> None:
    url = presign()
    put = check("PUT", url, host_of(url), SECRETS)
    assert put is not None and put.code == "SignatureDoesNotMatch"
    late = check("GET", url, host_of(url), SECRETS, now=time.time() + 601)
    assert late is not None and (late.code, late.message) == ("AccessDenied", "Request has expired")
    assert b"<Code>AccessDenied</Code>" in late.xml()


def test_a_signature_version_2_url_is_refused_as_s3_refuses_it() -> None:
    client: Any = s3("s3")
    url = client.generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    refusal = check("GET", url, host_of(url), SECRETS)
    assert refusal is not None and refusal.code == "InvalidRequest"
