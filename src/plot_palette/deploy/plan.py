"""The parameters each ``sam deploy`` pass gets, decided from the stack as it is.

A re-run must not undo what an earlier run set: ``sam deploy`` without an override puts a
parameter back to its default, so the dashboard's origin (set by the second pass) and any value
chosen by hand are passed again. The user pool is deletion-protected only once the stack exists:
a protected pool cannot be removed by a failed first deploy's rollback.
"""

from __future__ import annotations

from typing import Any

# States in which a stack has finished a create or an update (its resources exist as declared).
_SETTLED = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE"}


def refusal(existing: dict[str, Any] | None) -> str | None:
    """Why the stack cannot be deployed to as it is (None when it can)."""
    status = (existing or {}).get("StackStatus", "")
    if status == "ROLLBACK_COMPLETE":
        return "the stack's first deploy failed and rolled back: run make destroy, then deploy"
    if status.endswith("_IN_PROGRESS"):
        return f"the stack is {status}: wait for it to finish, then deploy again"
    return None


def deploy_parameters(existing: dict[str, Any] | None, *, image_tag: str) -> dict[str, str]:
    """The parameter overrides of the first ``sam deploy`` pass."""
    parameters = {
        item["ParameterKey"]: item["ParameterValue"]
        for item in (existing or {}).get("Parameters", [])
        if "ParameterValue" in item
    }
    parameters["WorkerImageTag"] = image_tag
    settled = existing is not None and existing.get("StackStatus") in _SETTLED
    parameters["UserPoolDeletionProtection"] = "ACTIVE" if settled else "INACTIVE"
    return parameters


def needs_origin_pass(parameters: dict[str, str], outputs: dict[str, str]) -> bool:
    """Whether CORS and the sign-in callback must be pointed at the dashboard's URL."""
    url = outputs.get("DashboardUrl", "").rstrip("/")
    return bool(url) and parameters.get("DashboardOrigin", "").rstrip("/") != url


def overrides(parameters: dict[str, str]) -> list[str]:
    """``Key=Value`` arguments for ``sam deploy --parameter-overrides``, in a stable order."""
    return [f"{key}={value}" for key, value in sorted(parameters.items())]
