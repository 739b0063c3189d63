"""The Templates table: versioned templates per user, plus the built-in ones shipped in the package.

Every version is its own item (``template_id``, ``version`` = 1, 2, …) and is never changed, so a
job can always name the exact version it ran. A head item at ``version`` 0 names the latest
version and carries ``owner_id``: the ``owner-index`` GSI is sparse over head items, so listing a
user's templates is one Query, never a Scan. A new version is a transaction of the version put
(must not exist) and the head update (must still name the version it was based on), so two
concurrent edits cannot both become version N+1.

Built-in templates live beside this module (``builtin/*.yaml``); everyone can read and use them,
nobody can change them.
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from botocore.exceptions import ClientError

from plot_palette.errors import ConflictError, NotFoundError, TemplateValidationError
from plot_palette.jobs.dynamo import from_item, to_item
from plot_palette.jobs.store import utc_now
from plot_palette.models import ModelRegistry
from plot_palette.templates.engine import load_template, parse_document
from plot_palette.templates.includes import expand_includes, has_includes
from plot_palette.templates.model import PromptTemplate

BUILTIN_OWNER = "builtin"
BUILTIN_DIR = Path(__file__).parent / "builtin"
HEAD_VERSION = 0


@cache
def builtin_templates() -> dict[str, dict[str, Any]]:
    """``{template_id: document}`` of the templates every user may use."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(BUILTIN_DIR.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[document["id"]] = document
    return found


def _summary(document: dict[str, Any], owner: str, updated_at: str) -> dict[str, Any]:
    return {
        "template_id": document["id"],
        "name": document["name"],
        "description": document.get("description"),
        "latest_version": document.get("version", 1),
        "owner": "builtin" if owner == BUILTIN_OWNER else "you",
        "updated_at": updated_at,
    }


class TemplatesStore:
    """Create, version, read and list templates; another user's template is ``NotFoundError``."""

    def __init__(self, client: Any, table_name: str, registry: ModelRegistry | None = None) -> None:
        self._client = client
        self._table = table_name
        self._registry = registry

    @property
    def registry(self) -> ModelRegistry:
        if self._registry is None:
            self._registry = ModelRegistry.load()
        return self._registry

    def _validated(
        self, user_id: str, document: dict[str, Any], template_id: str, version: int
    ) -> dict:
        """Validate through the engine (schema, includes, sandbox, models) with the server's
        id/version; the document is stored with its include tags, checked in expanded form."""
        if not isinstance(document, dict):
            raise TemplateValidationError("a template must be a mapping of fields")
        stamped = parse_document({**document, "id": template_id, "version": version})
        load_template(self.runnable(user_id, stamped), self.registry)
        return stamped.model_dump(mode="json", exclude_none=True)

    def runnable(self, user_id: str, document: dict[str, Any] | PromptTemplate) -> dict[str, Any]:
        """The document with its includes replaced by the text they name (see ``includes``).

        Included templates are read only from the caller's own templates and the built-in
        ones; a job's config and a published snapshot hold this expanded form.
        """
        if not has_includes(document):
            return parse_document(document).model_dump(mode="json", exclude_none=True)
        return expand_includes(
            document,
            lambda template_id, version: self.get(user_id, template_id, version)["document"],
        )

    def create(
        self,
        user_id: str,
        document: dict[str, Any],
        *,
        also: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Save a new template as version 1 and return it.

        ``also`` adds writes to the same transaction (a fork counts itself on the gallery
        entry it copies); if any of them fails, nothing is written (``ConflictError``).
        """
        template_id = f"tpl-{uuid.uuid4().hex[:20]}"
        stored = self._validated(user_id, document, template_id, 1)
        now = utc_now()
        try:
            self._client.transact_write_items(
                TransactItems=[
                    self._put_version(template_id, 1, user_id, stored, now),
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(self._head(template_id, user_id, stored, 1, now)),
                            "ConditionExpression": "attribute_not_exists(template_id)",
                        }
                    },
                    *(also or []),
                ]
            )
        except ClientError as error:
            if also and error.response["Error"]["Code"] == "TransactionCanceledException":
                raise ConflictError(
                    "the template could not be saved; nothing was written"
                ) from None
            raise
        return self._view(stored, user_id, now)

    def restore(self, user_id: str, template_id: str, version: int) -> dict[str, Any]:
        """Save a copy of ``version`` as the next version (older versions stay untouched)."""
        if template_id in builtin_templates():
            raise NotFoundError(f"template {template_id} not found")
        old = self.get(user_id, template_id, version)
        return self.new_version(user_id, template_id, old["document"])

    def new_version(
        self, user_id: str, template_id: str, document: dict[str, Any]
    ) -> dict[str, Any]:
        """Save ``document`` as the next version of the caller's template; old ones stay."""
        head = self._own_head(user_id, template_id)
        latest = int(head["latest_version"])
        version = latest + 1
        stored = self._validated(user_id, document, template_id, version)
        now = utc_now()
        try:
            self._client.transact_write_items(
                TransactItems=[
                    self._put_version(template_id, version, user_id, stored, now),
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": to_item({"template_id": template_id, "version": HEAD_VERSION}),
                            "UpdateExpression": (
                                "SET latest_version = :next, updated_at = :now, #name = :name, "
                                "description = :description"
                            ),
                            "ConditionExpression": "latest_version = :based_on",
                            "ExpressionAttributeNames": {"#name": "name"},
                            "ExpressionAttributeValues": {
                                **to_item({":next": version, ":based_on": latest, ":now": now}),
                                **to_item({":name": stored["name"]}),
                                ":description": (
                                    {"S": stored["description"]}
                                    if stored.get("description")
                                    else {"NULL": True}
                                ),
                            },
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise ConflictError(
                    f"template {template_id} changed meanwhile (now past version {latest}); "
                    "reload it and save again"
                ) from None
            raise
        return self._view(stored, user_id, now)

    def get(self, user_id: str, template_id: str, version: int | None = None) -> dict[str, Any]:
        """A template the caller may use (theirs or built-in), latest or a given version."""
        builtin = builtin_templates().get(template_id)
        if builtin is not None:
            if version is not None and version != builtin.get("version", 1):
                raise NotFoundError(f"template {template_id} has no version {version}")
            return self._view(builtin, BUILTIN_OWNER, "")
        head = self._own_head(user_id, template_id)
        wanted = int(head["latest_version"]) if version is None else version
        if wanted < 1:
            raise NotFoundError(f"template {template_id} has no version {version}")
        item = self._client.get_item(
            TableName=self._table,
            Key=to_item({"template_id": template_id, "version": wanted}),
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            raise NotFoundError(f"template {template_id} has no version {version}")
        stored = from_item(item)
        view = self._view(json.loads(stored["document"]), user_id, stored["created_at"])
        view["latest_version"] = int(head["latest_version"])
        return view

    def versions(self, user_id: str, template_id: str) -> list[dict[str, Any]]:
        """Every version of the caller's template, newest first (number, name, saved at)."""
        if template_id in builtin_templates():
            document = builtin_templates()[template_id]
            return [{"version": document.get("version", 1), "name": document["name"]}]
        self._own_head(user_id, template_id)
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="template_id = :id AND version > :head",
            ExpressionAttributeValues=to_item({":id": template_id, ":head": HEAD_VERSION}),
            ProjectionExpression="version, #name, created_at",
            ExpressionAttributeNames={"#name": "name"},
            ScanIndexForward=False,
        )
        return [from_item(item) for item in response["Items"]]

    def list_for_user(self, user_id: str) -> list[dict[str, Any]]:
        """The caller's templates (newest change first), then the built-in ones."""
        own: list[dict[str, Any]] = []
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "owner-index",
            "KeyConditionExpression": "owner_id = :owner",
            "ExpressionAttributeValues": {":owner": {"S": user_id}},
            "ScanIndexForward": False,
        }
        while True:
            response = self._client.query(**request)
            for item in response["Items"]:
                head = from_item(item)
                own.append(
                    {
                        "template_id": head["template_id"],
                        "name": head["name"],
                        "description": head.get("description"),
                        "latest_version": int(head["latest_version"]),
                        "owner": "you",
                        "updated_at": head["updated_at"],
                    }
                )
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        builtins = [_summary(doc, BUILTIN_OWNER, "") for doc in builtin_templates().values()]
        return own + builtins

    # -- items ---------------------------------------------------------------------------------

    def _own_head(self, user_id: str, template_id: str) -> dict[str, Any]:
        item = self._client.get_item(
            TableName=self._table,
            Key=to_item({"template_id": template_id, "version": HEAD_VERSION}),
            ConsistentRead=True,
        ).get("Item")
        head = from_item(item) if item else None
        if head is None or head.get("owner_id") != user_id:
            raise NotFoundError(f"template {template_id} not found")
        return head

    @staticmethod
    def _head(
        template_id: str, user_id: str, stored: dict[str, Any], version: int, now: str
    ) -> dict[str, Any]:
        return {
            "template_id": template_id,
            "version": HEAD_VERSION,
            "owner_id": user_id,
            "name": stored["name"],
            "description": stored.get("description"),
            "latest_version": version,
            "created_at": now,
            "updated_at": now,
        }

    def _put_version(
        self, template_id: str, version: int, user_id: str, stored: dict[str, Any], now: str
    ) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": to_item(
                    {
                        "template_id": template_id,
                        "version": version,
                        "user_id": user_id,
                        "name": stored["name"],
                        "document": json.dumps(stored),
                        "created_at": now,
                    }
                ),
                "ConditionExpression": "attribute_not_exists(template_id)",
            }
        }

    @staticmethod
    def _view(document: dict[str, Any], owner: str, saved_at: str) -> dict[str, Any]:
        return {
            "template_id": document["id"],
            "version": document.get("version", 1),
            "latest_version": document.get("version", 1),
            "owner": "builtin" if owner == BUILTIN_OWNER else "you",
            "saved_at": saved_at,
            "document": document,
        }
