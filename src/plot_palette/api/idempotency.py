"""Idempotent submissions: a client's ``Idempotency-Key`` makes a retried ``POST`` safe.

A client that loses a response (a timeout, a dropped connection) cannot know whether its job was
queued; sending the request again must not queue a second one. As with Stripe's
``Idempotency-Key``, the client names each submission with a key of its choosing (a UUID), and:

- the same user, key and body again: the first response, replayed, and nothing is created
  (the replay carries ``Idempotent-Replayed: true``);
- the same key with another body: refused (422), the key belongs to the first request;
- the same key while the first request is still running: 409 with ``Retry-After``; the retry
  then gets the first request's response;
- keys are the caller's own (the stored key hashes the user id with the key) and each route's
  own (a job and a batch may share a key), and they expire after ``KEY_LIFETIME_SECONDS``;
- a request that fails (any error) leaves no record, so the key may be retried;
- without the header, nothing changes.

Powertools' idempotency utility does the bookkeeping in a DynamoDB table (PK ``id``, TTL
``expiration``): an ``INPROGRESS`` record is written first with a condition, the response is
stored on success and the record deleted on failure. An in-progress record ends when the Lambda
invocation would have timed out, so a crashed request does not hold its key for a day.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from pydantic import AfterValidator, BaseModel, StringConstraints
from pydantic_core import PydanticCustomError

from plot_palette.errors import ConflictError, PlotPaletteError

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
KEY_LIFETIME_SECONDS = 24 * 60 * 60
# How long a client should wait before asking again about a request still in progress.
RETRY_AFTER_SECONDS = 1


class KeyReusedError(PlotPaletteError):
    """The key was first used with another request body; it cannot name this one."""


class RequestInProgressError(ConflictError):
    """The first request with this key has not finished; asking again later gets its response."""


def _check_key(key: str) -> str:
    # Printable ASCII only: a key travels in an HTTP header, and what prints is what a person
    # can compare in a log. Surrounding spaces would be stripped by proxies, so none.
    if not (
        1 <= len(key) <= MAX_KEY_LENGTH
        and key.isascii()
        and key.isprintable()
        and key == key.strip()
    ):
        raise PydanticCustomError(
            "idempotency_key",
            "an Idempotency-Key is 1 to {limit} printable ASCII characters, without leading "
            "or trailing spaces (a UUID is a good key)",
            {"limit": MAX_KEY_LENGTH},
        )
    return key


IdempotencyKeyHeader = Annotated[
    Annotated[
        str, StringConstraints(min_length=1, max_length=MAX_KEY_LENGTH), AfterValidator(_check_key)
    ]
    | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        description=(
            "A key the client chooses for this submission (1 to 255 printable ASCII "
            "characters; a UUID is a good key). Sent again with the same body within 24 hours, "
            "the request creates nothing and answers the first response again "
            "(`Idempotent-Replayed: true`); with another body it is refused (422); while the "
            "first request runs it is a 409 with `Retry-After`."
        ),
    ),
]


class ErrorMessage(BaseModel):
    """Every refusal's body."""

    message: str


def submission_responses(created: str) -> dict[int, Any]:
    """The OpenAPI responses of a route that takes an Idempotency-Key."""
    error = {"application/json": {"model": ErrorMessage}}
    return {
        201: {"description": f"{created} (for a key seen before: the first response again)"},
        409: {
            "description": "A request with this Idempotency-Key is in progress",
            "content": error,
        },
        422: {
            "description": "The body is invalid, or the Idempotency-Key named another body",
            "content": error,
        },
    }


@dataclass(frozen=True)
class Submitted:
    """A submission's response body, and whether it is a replay of the key's first response."""

    body: dict[str, Any]
    replayed: bool = False


class IdempotentSubmissions:
    """Runs a submission at most once per (user, route, key) while the key lives.

    Example::

        submitted = submissions.once(
            "jobs", user_id=user, key=key, request=body, create=lambda: queue(...)
        )
    """

    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        *,
        lifetime_seconds: int = KEY_LIFETIME_SECONDS,
    ) -> None:
        self._dynamodb = dynamodb
        self._table = table_name
        self._lifetime = lifetime_seconds
        self._stores: dict[str, DynamoDBPersistenceLayer] = {}
        self._lock = threading.Lock()

    def _config(self, context: Any = None) -> IdempotencyConfig:
        return IdempotencyConfig(
            # The stored key is a hash of the caller's id and their key: users never share.
            event_key_jmespath="[user_id, key]",
            # The body is hashed beside it, so a key reused for another request is refused.
            payload_validation_jmespath="request",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self._lifetime,
            hash_function="sha256",
            # Its remaining time bounds the in-progress record: a request that died frees its
            # key when its invocation would have timed out, not when the key expires.
            lambda_context=context,
            response_hook=_mark_replayed,
        )

    def _store(self, scope: str) -> DynamoDBPersistenceLayer:
        """One persistence layer per route, configured before any request uses it: powertools
        marks a layer configured before it reads the configuration, so two first requests at
        once could otherwise hash a key with an unconfigured layer."""
        with self._lock:
            store = self._stores.get(scope)
            if store is None:
                store = DynamoDBPersistenceLayer(
                    table_name=self._table,
                    key_attr="id",
                    expiry_attr="expiration",
                    boto3_client=self._dynamodb,
                )
                store.configure(self._config(), key_prefix=scope)
                self._stores[scope] = store
            return store

    def once(
        self,
        scope: str,
        *,
        user_id: str,
        key: str | None,
        request: dict[str, Any],
        create: Callable[[], dict[str, Any]],
        context: Any = None,
    ) -> Submitted:
        """``create()``'s body, or, when ``key`` was already used for this ``request`` by this
        user on this route, the body it answered then (without calling ``create``).

        ``request`` is the parsed body as JSON-ready data (compared by hash, not stored);
        ``context`` is the Lambda context, if there is one. Raises ``KeyReusedError`` when the
        key was used with another body and ``RequestInProgressError`` while its first request
        runs. Without a key, ``create()`` runs as it always did.
        """
        if key is None:
            return Submitted(create())
        if not callable(getattr(context, "get_remaining_time_in_millis", None)):
            context = None

        @idempotent_function(
            data_keyword_argument="submission",
            persistence_store=self._store(scope),
            config=self._config(context),
            key_prefix=scope,
        )
        def submit(submission: dict[str, Any]) -> dict[str, Any]:
            return {"body": create()}

        try:
            result = submit(submission={"user_id": user_id, "key": key, "request": request})
        except IdempotencyAlreadyInProgressError:
            raise RequestInProgressError(
                "a request with this Idempotency-Key is in progress; retry shortly to get "
                "its response"
            ) from None
        except IdempotencyValidationError:
            raise KeyReusedError(
                "this Idempotency-Key was used for another request (a different body); "
                "use a new key for a new submission"
            ) from None
        return Submitted(body=result["body"], replayed=bool(result.get("replayed")))


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> dict[str, Any]:
    """Powertools calls this only for a response read back from the table."""
    return {**response, "replayed": True}
