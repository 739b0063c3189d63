"""IAM enforced in the local cloud: every call a function, worker or state machine makes is
authorized against the role the templates give it, as AWS would, before it reaches moto.

moto can enforce IAM, but it checks every action against the resource ``*`` (its services do
not say which resource a request touches), so a policy scoped to a table or a prefix, which is
every policy we write, would deny everything. This module decides instead, in the calling
process, with what the SDK knows about the call: the operation and its parameters
(``iam_requests`` turns them into IAM's actions, resources and condition keys) and the role of
whoever makes it (``iam_policy`` evaluates its statements).

Who makes a call:

- A Lambda function: the local Lambda runner runs its handler ``acting_as`` the function's
  role. A client created inside (a handler module's clients at its cold start) keeps that role
  for good, as a client keeps its credentials on AWS, so threads the handler starts (the export
  function's upload pool) call with it too.
- The state machine: moto's interpreter builds a client per task with the execution's role ARN
  (``StateCredentials``); ``moto_seams`` builds it ``acting_as`` that role.
- The worker: a subprocess started with ``PLOT_PALETTE_IAM`` (its task role, as JSON), which
  ``plot_palette.local.local_worker`` installs before the worker runs.

Calls made by no principal (the local cloud provisioning itself, pipes reading streams, tests
arranging data, the CLI and the dashboard, which hold a user's session and not a role) are not
checked. A denied call fails with the error AWS returns (``AccessDeniedException``, S3's
``AccessDenied``) and a message naming the role, action and resource.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore import signers
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from plot_palette.local.iam_policy import Role, Statement
from plot_palette.local.iam_requests import Account, checks

IAM_ENV = "PLOT_PALETTE_IAM"


@dataclass
class Principal:
    """A role acting in an account: what is checked, and against which resources."""

    role: Role
    account: Account

    def to_env(self) -> str:
        """The ``PLOT_PALETTE_IAM`` value that makes a subprocess act as this principal."""
        return json.dumps(
            {
                "role": self.role.to_dict(),
                "region": self.account.region,
                "account_id": self.account.account_id,
                "partition_keys": dict(self.account.partition_keys),
                "task_roles": {k: list(v) for k, v in self.account.task_roles.items()},
            }
        )

    @classmethod
    def from_env(cls, value: str) -> Principal:
        body = json.loads(value)
        return cls(
            Role.from_dict(body["role"]),
            Account(
                region=body["region"],
                account_id=body["account_id"],
                partition_keys=body["partition_keys"],
                task_roles={k: tuple(v) for k, v in body["task_roles"].items()},
            ),
        )


@dataclass
class LocalIam:
    """The account's roles as the templates define them, and the facts IAM conditions read."""

    region: str
    account_id: str
    roles: dict[str, Role] = field(default_factory=dict)
    partition_keys: dict[str, str] = field(default_factory=dict)
    task_roles: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def role(self, arn: str) -> Role:
        """The role with this ARN, created empty on first mention (a policy may attach to a
        role before the role's own resource is provisioned)."""
        return self.roles.setdefault(arn, Role(arn))

    def attach(self, arn: str, statements: list[Statement]) -> None:
        self.role(arn).statements.extend(statements)

    def principal(self, role_arn: str | None) -> Principal | None:
        """The principal acting as this role, or None for a role the templates do not define
        (a test's own state machine): its calls are not checked."""
        role = self.roles.get(role_arn or "")
        if role is None:
            return None
        account = Account(self.region, self.account_id, self.partition_keys, self.task_roles)
        return Principal(role, account)

    @contextlib.contextmanager
    def without(self, role_arn: str, action: str) -> Iterator[None]:
        """Remove ``action`` from every statement of a role while the block runs (the test
        that proves enforcement is on takes a permission away and sees the call denied)."""
        role = self.roles[role_arn]
        kept = list(role.statements)
        role.statements[:] = [
            Statement(
                s.effect,
                tuple(a for a in s.actions if a != action),
                s.resources,
                s.conditions,
                s.sid,
            )
            for s in kept
        ]
        try:
            yield
        finally:
            role.statements[:] = kept


_acting: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "plot_palette_iam_principal", default=None
)
_unchecked: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "plot_palette_iam_unchecked", default=False
)
_process_principal: Principal | None = None
_PRINCIPAL_ATTRIBUTE = "_plot_palette_principal"
_originals: dict[str, Any] = {}
_install_lock = threading.Lock()


@contextlib.contextmanager
def acting_as(principal: Principal | None) -> Iterator[None]:
    """Make the calls of this thread (and the clients it creates) this principal's."""
    token = _acting.set(principal)
    try:
        yield
    finally:
        _acting.reset(token)


def denial(
    principal: Principal,
    service: str,
    operation: str,
    action: str,
    resource: str,
    client: BaseClient | None = None,
) -> ClientError:
    """The error AWS answers a call its caller's policies do not allow: the client's modeled
    exception for the code where the service models one (as botocore raises it), else
    ``ClientError``."""
    session = principal.role.arn.replace(":iam::", ":sts::").replace(":role/", ":assumed-role/")
    message = (
        f"User: {session}/local is not authorized to perform: {action} on resource: {resource} "
        f"because no identity-based policy allows the {action} action"
    )
    code, status = ("AccessDenied", 403) if service == "s3" else ("AccessDeniedException", 400)
    # botocore's stubs type from_code's result as an instance; it returns the class
    modeled: Any = client.exceptions.from_code(code) if client is not None else ClientError
    error_class: type[ClientError] = modeled
    return error_class(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {
                "HTTPStatusCode": status,
                "RequestId": "local-iam",
                "HostId": "",
                "HTTPHeaders": {},
                "RetryAttempts": 0,
            },
        },
        operation,
    )


def authorize(
    principal: Principal,
    service: str,
    operation: str,
    params: Mapping[str, Any],
    client: BaseClient | None = None,
) -> None:
    """Raise the AWS error when the principal's role does not allow the call."""
    for check in checks(service, operation, params, principal.account):
        if not principal.role.allows(check.action, check.resource, check.context):
            raise denial(principal, service, operation, check.action, check.resource, client)


def _client_init(self: BaseClient, *args: Any, **kwargs: Any) -> None:
    _originals["init"](self, *args, **kwargs)
    principal = _acting.get()
    if principal is not None:
        setattr(self, _PRINCIPAL_ATTRIBUTE, principal)


@contextlib.contextmanager
def unchecked() -> Iterator[None]:
    """Calls that AWS makes itself, not with the caller's role (an interpreter's own
    bookkeeping in ``moto_seams``), go unchecked while the block runs."""
    token = _unchecked.set(True)
    try:
        yield
    finally:
        _unchecked.reset(token)


def _principal_of(client: BaseClient) -> Principal | None:
    """The client's own principal, else the thread's, else the process's."""
    if _unchecked.get():
        return None
    return getattr(client, _PRINCIPAL_ATTRIBUTE, None) or _acting.get() or _process_principal


def _make_api_call(self: BaseClient, operation_name: str, api_params: dict[str, Any]) -> Any:
    original = _originals["make_api_call"]
    principal = _principal_of(self)
    if principal is not None:
        model = self.meta.service_model
        service = model.signing_name or model.endpoint_prefix
        authorize(principal, service, operation_name, api_params, self)
    return original(self, operation_name, api_params)


def _presigned_url(
    self: BaseClient, ClientMethod: str, Params: Any = None, *args: Any, **kwargs: Any
) -> Any:
    principal = _principal_of(self)
    if principal is not None:
        operation = self.meta.method_to_api_mapping.get(ClientMethod, ClientMethod)
        authorize(principal, self.meta.service_model.signing_name, operation, Params or {})
    return _originals["presigned_url"](self, ClientMethod, Params, *args, **kwargs)


def _presigned_post(self: BaseClient, Bucket: str, Key: str, *args: Any, **kwargs: Any) -> Any:
    principal = _principal_of(self)
    if principal is not None:
        authorize(principal, "s3", "PutObject", {"Bucket": Bucket, "Key": Key})
    return _originals["presigned_post"](self, Bucket, Key, *args, **kwargs)


def install() -> None:
    """Check every call made in this process from now on (once; idempotent).

    A presigned URL is checked when it is generated: AWS checks its signer's permissions when
    it is used, which fails the same request, later and further from its cause.
    """
    with _install_lock:
        if _originals:
            return
        # getattr/setattr: botocore's type stubs do not declare these methods as assignable.
        _originals["init"] = getattr(BaseClient, "__init__")  # noqa: B009
        _originals["make_api_call"] = getattr(BaseClient, "_make_api_call")  # noqa: B009
        _originals["presigned_url"] = signers.generate_presigned_url
        _originals["presigned_post"] = signers.generate_presigned_post
        setattr(BaseClient, "__init__", _client_init)  # noqa: B010
        setattr(BaseClient, "_make_api_call", _make_api_call)  # noqa: B010
        # botocore copies these onto each S3 client class it creates from now on
        setattr(signers, "generate_presigned_url", _presigned_url)  # noqa: B010
        setattr(signers, "generate_presigned_post", _presigned_post)  # noqa: B010


def install_from_env() -> None:
    """In a subprocess started with ``PLOT_PALETTE_IAM``: act as that principal throughout."""
    global _process_principal
    value = os.environ.get(IAM_ENV)
    if not value:
        return
    _process_principal = Principal.from_env(value)
    install()
