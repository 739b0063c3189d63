"""IAM policy evaluation for the local cloud: may this role do ACTION on RESOURCE?

The answer is IAM's for identity policies: an explicit Deny wins, else any Allow whose action,
resource and conditions all match, else an implicit deny. Wildcards ``*`` and ``?`` work as in
IAM (actions ignore case, resources do not). Conditions follow IAM's rules for a key the request
does not carry: a plain operator does not match, ``...IfExists`` does, and ``ForAllValues:``
does (the well-known trap: an absent multi-valued key satisfies "for all values").

Only the condition operators our templates use are evaluated; a policy with another operator is
refused when the role is built, so a new operator cannot be silently ignored. Managed policies
are those in ``MANAGED`` with their published statements; any other is refused the same way.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from plot_palette.errors import LocalCloudError

# What the AWS-managed policies our roles attach allow (their published documents). The
# Fargate execution role's policy lets ECS pull the image and write logs: the local cloud pulls
# nothing, so only its actions matter for a reader.
MANAGED: dict[str, list[dict[str, Any]]] = {
    "AWSLambdaBasicExecutionRole": [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": "*",
        }
    ],
    "AWSXrayWriteOnlyAccess": [
        {
            "Effect": "Allow",
            "Action": [
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
                "xray:GetSamplingStatisticSummaries",
            ],
            "Resource": "*",
        }
    ],
}

# A request's condition keys: one value, or several for a multi-valued key.
Context = Mapping[str, str | list[str]]


@functools.cache
def pattern(text: str, *, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcard match (``*`` any run of characters, ``?`` one) as a regular expression."""
    body = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in text
    )
    return re.compile(body, re.IGNORECASE if ignore_case else 0)


def listed(value: Any) -> list[Any]:
    """A policy element as a list (IAM accepts one value or a list)."""
    return value if isinstance(value, list) else [value]


def _like(expected: str, actual: str) -> bool:
    return bool(pattern(expected, ignore_case=False).fullmatch(actual))


_COMPARE: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda expected, actual: actual == expected,
    "StringEqualsIgnoreCase": lambda expected, actual: actual.lower() == expected.lower(),
    "StringLike": _like,
    "ArnEquals": lambda expected, actual: actual == expected,
    "ArnLike": _like,
    "Bool": lambda expected, actual: str(actual).lower() == str(expected).lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


@dataclass(frozen=True)
class Condition:
    """One operator on one key, e.g. ``ForAllValues:StringLike dynamodb:LeadingKeys gal-*``."""

    operator: str
    key: str
    expected: tuple[str, ...]

    @classmethod
    def parse(cls, operator: str, key: str, expected: Any) -> Condition:
        base = operator.split(":", 1)[-1].removesuffix("IfExists")
        if _NEGATED.get(base, base) not in _COMPARE:
            raise LocalCloudError(f"the local IAM does not evaluate condition operator {operator}")
        return cls(operator, key, tuple(str(value) for value in listed(expected)))

    def holds(self, context: Context) -> bool:
        qualifier, _, base = self.operator.rpartition(":")
        if_exists = base.endswith("IfExists")
        base = base.removesuffix("IfExists")
        negated = base in _NEGATED
        compare = _COMPARE[_NEGATED.get(base, base)]
        actual = context.get(self.key)
        values = [] if actual is None else listed(actual)
        if not values:
            return qualifier == "ForAllValues" or if_exists

        def one(value: str) -> bool:
            matched = any(compare(expected, value) for expected in self.expected)
            return not matched if negated else matched

        if qualifier == "ForAllValues":
            return all(one(value) for value in values)
        return any(one(value) for value in values)


@dataclass(frozen=True)
class Statement:
    """One statement of an identity policy."""

    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[Condition, ...] = field(default=())
    sid: str = ""

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> Statement:
        """Parse a statement as written in a template (after intrinsics are resolved)."""
        if "NotAction" in body or "NotResource" in body:
            raise LocalCloudError("the local IAM does not evaluate NotAction or NotResource")
        return cls(
            effect=str(body["Effect"]),
            actions=tuple(str(action) for action in listed(body["Action"])),
            resources=tuple(str(resource) for resource in listed(body.get("Resource", "*"))),
            conditions=tuple(
                Condition.parse(operator, key, expected)
                for operator, keys in body.get("Condition", {}).items()
                for key, expected in keys.items()
            ),
            sid=str(body.get("Sid", "")),
        )

    def to_dict(self) -> dict[str, Any]:
        """The statement as policy JSON (how a worker subprocess receives its role)."""
        body: dict[str, Any] = {
            "Effect": self.effect,
            "Action": list(self.actions),
            "Resource": list(self.resources),
        }
        if self.sid:
            body["Sid"] = self.sid
        conditions: dict[str, dict[str, list[str]]] = {}
        for condition in self.conditions:
            conditions.setdefault(condition.operator, {})[condition.key] = list(condition.expected)
        if conditions:
            body["Condition"] = conditions
        return body

    def names_action(self, action: str) -> bool:
        return any(pattern(a, ignore_case=True).fullmatch(action) for a in self.actions)

    def matches(self, action: str, resource: str, context: Context) -> bool:
        return (
            self.names_action(action)
            and any(pattern(r, ignore_case=False).fullmatch(resource) for r in self.resources)
            and all(condition.holds(context) for condition in self.conditions)
        )


def statements(document: Mapping[str, Any]) -> list[Statement]:
    """The statements of a policy document."""
    return [Statement.parse(body) for body in listed(document.get("Statement", []))]


def managed_statements(arn_or_name: str) -> list[Statement]:
    """The statements of a reviewed AWS-managed policy (by ARN or name)."""
    name = str(arn_or_name).rsplit("/", 1)[-1]
    if name not in MANAGED:
        raise LocalCloudError(
            f"managed policy {arn_or_name} is not known to the local IAM "
            "(add its published statements to plot_palette.local.iam_policy.MANAGED)"
        )
    return [Statement.parse(body) for body in MANAGED[name]]


@dataclass
class Role:
    """An IAM role as the local cloud enforces it: its ARN and every statement attached."""

    arn: str
    statements: list[Statement] = field(default_factory=list)

    def allows(self, action: str, resource: str, context: Context | None = None) -> bool:
        """Whether IAM would allow ``action`` on ``resource`` with these condition keys."""
        context = context or {}
        if any(
            s.effect == "Deny" and s.matches(action, resource, context) for s in self.statements
        ):
            return False
        return any(
            s.effect == "Allow" and s.matches(action, resource, context) for s in self.statements
        )

    def to_dict(self) -> dict[str, Any]:
        return {"arn": self.arn, "statements": [s.to_dict() for s in self.statements]}

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> Role:
        return cls(str(body["arn"]), [Statement.parse(s) for s in body["statements"]])
