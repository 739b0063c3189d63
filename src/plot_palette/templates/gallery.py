"""The public template gallery: snapshots users publish, anyone may search and fork.

A gallery entry is an item of the Templates table (``template_id`` = ``gal-…``, ``version`` 0)
holding a frozen copy of one template version with its includes expanded, so it reads nothing
of its publisher's private templates. It carries ``gallery`` = ``public``, the partition key of
two sparse GSIs (only gallery entries have the attribute): ``gallery-recent-index`` sorted by
``published_at`` and ``gallery-forks-index`` sorted by ``forks``; listing is a Query on one of
them, never a Scan. Entries never carry ``owner_id``, so they are not in anyone's template list
and the template routes never serve them.

What is public: the template document, name, description, tags, the display name the publisher
chose (optional), the publication time and the fork count. What is not: the publisher's user
id (kept in ``publisher_id``, only to let them unpublish), their email, their template's id and
any seed data (a template holds none).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from typing import Any

from botocore.exceptions import ClientError

from plot_palette.errors import ConflictError, NotFoundError, PlotPaletteError
from plot_palette.jobs.dynamo import from_item, to_item
from plot_palette.jobs.store import utc_now
from plot_palette.templates.store import BUILTIN_OWNER, HEAD_VERSION, TemplatesStore

PUBLIC = "public"
INDEXES = {"recent": "gallery-recent-index", "forks": "gallery-forks-index"}
MAX_QUERY_PAGES = 20
QUERY_PAGE = 100
# What a cursor may hold: the ids ``publish`` makes and the timestamps ``utc_now`` writes.
GALLERY_ID = re.compile(r"gal-[0-9a-f]{20}")
TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z")
MAX_FORKS = 10**15


def _search_text(name: str, description: str, tags: list[str]) -> str:
    return " ".join([name, description, *tags]).lower()


def _public(item: dict[str, Any], *, with_document: bool) -> dict[str, Any]:
    """Only the public fields of an entry (never ``publisher_id``)."""
    entry = {
        "gallery_id": item["template_id"],
        "name": item["name"],
        "description": item.get("description") or "",
        "tags": list(item.get("tags") or []),
        "author": item.get("display_name"),
        "forks": int(item.get("forks", 0)),
        "published_at": item["published_at"],
        "steps": int(item.get("step_count", 0)),
    }
    if with_document:
        entry["document"] = json.loads(item["document"])
    return entry


def _encode(key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _valid_order(value: object, order: str) -> bool:
    """Whether ``value`` is a sort key ``search`` could have put in a cursor."""
    if order == "published_at":
        return isinstance(value, str) and TIMESTAMP.fullmatch(value) is not None
    return type(value) is int and 0 <= value < MAX_FORKS


def _decode(token: str, sort: str) -> dict[str, Any]:
    try:
        key = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError):
        raise PlotPaletteError("cursor is not one this API returned") from None
    order = "published_at" if sort == "recent" else "forks"
    # The key goes to DynamoDB as an ExclusiveStartKey, which refuses empty strings, booleans
    # and numbers of the wrong shape with a ValidationException (a 500 if it got there).
    if (
        not isinstance(key, dict)
        or set(key) != {"template_id", "order"}
        or not isinstance(key["template_id"], str)
        or not GALLERY_ID.fullmatch(key["template_id"])
        or not _valid_order(key["order"], order)
    ):
        raise PlotPaletteError("cursor is not one this API returned")
    return to_item(
        {
            "template_id": key["template_id"],
            "version": HEAD_VERSION,
            "gallery": PUBLIC,
            order: key["order"],
        }
    )


class GalleryStore:
    """Publish, unpublish, search, read and fork gallery entries."""

    def __init__(self, client: Any, table_name: str, templates: TemplatesStore) -> None:
        self._client = client
        self._table = table_name
        self._templates = templates

    def publish(
        self,
        user_id: str,
        template_id: str,
        version: int,
        *,
        description: str,
        tags: list[str],
        display_name: str | None,
    ) -> dict[str, Any]:
        """Publish a snapshot of one version of the caller's template (includes expanded)."""
        source = self._templates.get(user_id, template_id, version)
        if source["owner"] == BUILTIN_OWNER:
            raise PlotPaletteError("built-in templates are already available to everyone")
        gallery_id = f"gal-{uuid.uuid4().hex[:20]}"
        document = {**self._templates.runnable(user_id, source["document"])}
        document.update({"id": gallery_id, "version": 1})
        document.setdefault("description", description)
        item = {
            "template_id": gallery_id,
            "version": HEAD_VERSION,
            "gallery": PUBLIC,
            "publisher_id": user_id,
            "display_name": display_name,
            "name": document["name"],
            "description": description,
            "tags": tags,
            "search_text": _search_text(document["name"], description, tags),
            "document": json.dumps(document),
            "step_count": len(document["steps"]),
            "forks": 0,
            "published_at": utc_now(),
        }
        self._client.put_item(
            TableName=self._table,
            Item=to_item({key: value for key, value in item.items() if value is not None}),
            ConditionExpression="attribute_not_exists(template_id)",
        )
        return _public(item, with_document=True)

    def _entry(self, gallery_id: str) -> dict[str, Any]:
        if not gallery_id.startswith("gal-"):
            raise NotFoundError(f"gallery template {gallery_id} not found")
        item = self._client.get_item(
            TableName=self._table,
            Key=to_item({"template_id": gallery_id, "version": HEAD_VERSION}),
            ConsistentRead=True,
        ).get("Item")
        entry = from_item(item) if item else None
        if entry is None or entry.get("gallery") != PUBLIC:
            raise NotFoundError(f"gallery template {gallery_id} not found")
        return entry

    def get(self, gallery_id: str) -> dict[str, Any]:
        """One published template, with its document."""
        return _public(self._entry(gallery_id), with_document=True)

    def unpublish(self, user_id: str, gallery_id: str) -> None:
        """Remove the caller's own entry; anyone else's is reported as missing."""
        if not gallery_id.startswith("gal-"):
            raise NotFoundError(f"gallery template {gallery_id} not found")
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=to_item({"template_id": gallery_id, "version": HEAD_VERSION}),
                ConditionExpression="gallery = :public AND publisher_id = :me",
                ExpressionAttributeValues=to_item({":public": PUBLIC, ":me": user_id}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFoundError(f"gallery template {gallery_id} not found") from None
            raise

    def search(
        self, query: str, sort: str, limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of entries matching ``query`` (name, description or tags), best first.

        A Query on the sort's sparse index with a filter on the lower-cased search text; pages
        are cut at an entry, so the cursor is that entry's index key.
        """
        order = "published_at" if sort == "recent" else "forks"
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": INDEXES[sort],
            "KeyConditionExpression": "gallery = :public",
            "ExpressionAttributeValues": {":public": {"S": PUBLIC}},
            "ScanIndexForward": False,
            "Limit": QUERY_PAGE,
        }
        words = query.lower().split()
        if words:
            request["FilterExpression"] = " AND ".join(
                f"contains(search_text, :w{number})" for number in range(len(words))
            )
            for number, word in enumerate(words):
                request["ExpressionAttributeValues"][f":w{number}"] = {"S": word}
        if cursor:
            request["ExclusiveStartKey"] = _decode(cursor, sort)
        found: list[dict[str, Any]] = []
        last_key: dict[str, Any] | None = None
        for _ in range(MAX_QUERY_PAGES):
            response = self._client.query(**request)
            found.extend(from_item(item) for item in response["Items"])
            last_key = response.get("LastEvaluatedKey")
            if len(found) > limit or last_key is None:
                break
            request["ExclusiveStartKey"] = last_key
        page = found[:limit]
        following = None
        if len(found) > limit or last_key is not None:
            last = page[-1] if page else from_item(last_key or {})
            following = _encode({"template_id": last["template_id"], "order": last[order]})
        return [_public(item, with_document=False) for item in page], following

    def fork(self, user_id: str, gallery_id: str) -> dict[str, Any]:
        """Copy an entry into the caller's templates (version 1) and count the fork, atomically."""
        entry = self._entry(gallery_id)
        document = json.loads(entry["document"])
        count = {
            "Update": {
                "TableName": self._table,
                "Key": to_item({"template_id": gallery_id, "version": HEAD_VERSION}),
                "UpdateExpression": "ADD forks :one",
                "ConditionExpression": "gallery = :public",
                "ExpressionAttributeValues": to_item({":one": 1, ":public": PUBLIC}),
            }
        }
        try:
            return self._templates.create(user_id, document, also=[count])
        except ConflictError:
            raise NotFoundError(f"gallery template {gallery_id} not found") from None
