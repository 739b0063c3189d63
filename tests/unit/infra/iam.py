"""A small IAM evaluator for the roles our templates declare or SAM generates.

It answers "may this role do ACTION on RESOURCE (with these condition keys)?" the way IAM does
for identity policies: an explicit Deny wins, else any Allow whose action, resource and
conditions all match. Wildcards ``*`` and ``?`` work as in IAM; a condition whose key the
request does not carry does not match. Managed policies are only those listed in ``MANAGED``
with their documented statements: attaching any other fails the tests until it is reviewed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.unit.infra.cfn import expanded, resolved

# What the AWS-managed policies SAM attaches allow (their published documents).
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


def _pattern(text: str, *, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in text
    )
    return re.compile(body, re.IGNORECASE if ignore_case else 0)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


_STRING_OPERATORS = {
    "StringEquals": lambda expected, actual: actual == expected,
    "StringLike": lambda expected, actual: bool(
        _pattern(expected, ignore_case=False).fullmatch(actual)
    ),
    "ArnEquals": lambda expected, actual: actual == expected,
    "ArnLike": lambda expected, actual: bool(
        _pattern(expected, ignore_case=False).fullmatch(actual)
    ),
    "Bool": lambda expected, actual: str(actual).lower() == str(expected).lower(),
    # a request carrying one value of a multi-valued key (one item's partition key)
    "ForAllValues:StringLike": lambda expected, actual: bool(
        _pattern(expected, ignore_case=False).fullmatch(actual)
    ),
}


@dataclass(frozen=True)
class Statement:
    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: dict[str, dict[str, Any]] = field(default_factory=dict, hash=False)

    @classmethod
    def parse(cls, body: dict[str, Any]) -> Statement:
        assert "NotAction" not in body and "NotResource" not in body, body
        return cls(
            effect=body["Effect"],
            actions=tuple(str(action) for action in _listed(body["Action"])),
            resources=tuple(str(resource) for resource in _listed(body.get("Resource", "*"))),
            conditions=body.get("Condition", {}),
        )

    def names_action(self, action: str) -> bool:
        return any(_pattern(a, ignore_case=True).fullmatch(action) for a in self.actions)

    def matches(self, action: str, resource: str, context: dict[str, str]) -> bool:
        if not self.names_action(action):
            return False
        if not any(_pattern(r, ignore_case=False).fullmatch(resource) for r in self.resources):
            return False
        for operator, keys in self.conditions.items():
            compare = _STRING_OPERATORS.get(operator)
            if compare is None:
                raise AssertionError(f"condition operator {operator} is not evaluated here")
            for key, expected in keys.items():
                actual = context.get(key)
                if actual is None or not any(compare(e, actual) for e in _listed(expected)):
                    return False
        return True


@dataclass(frozen=True)
class Role:
    """An IAM role with every statement that applies to it, managed policies expanded."""

    stack: str
    logical_id: str
    trusted: frozenset[str]
    statements: tuple[Statement, ...]
    inline: tuple[Statement, ...]
    managed: tuple[str, ...]

    def allows(self, action: str, resource: str, context: dict[str, str] | None = None) -> bool:
        """Whether IAM would allow ``action`` on ``resource`` for this role."""
        context = context or {}
        if any(
            s.effect == "Deny" and s.matches(action, resource, context) for s in self.statements
        ):
            return False
        return any(
            s.effect == "Allow" and s.matches(action, resource, context) for s in self.statements
        )

    def could(self, action: str) -> bool:
        """Whether any Allow names ``action``, on whatever resource or condition (for the
        actions a role must never have)."""
        return any(s.effect == "Allow" and s.names_action(action) for s in self.statements)

    def actions(self, *, managed: bool = False) -> set[str]:
        """The action names its own (inline) Allow statements grant, lower-cased."""
        statements = self.statements if managed else self.inline
        return {a.lower() for s in statements if s.effect == "Allow" for a in s.actions}


def _managed_name(arn: str) -> str:
    name = str(arn).rsplit("/", 1)[-1]
    assert name in MANAGED, f"managed policy {arn} is not reviewed (add it to MANAGED)"
    return name


def roles(path: Path) -> dict[str, Role]:
    """Every IAM role of a stack (SAM-generated ones included) by logical id."""
    template = expanded(path)
    body = template.get("Resources", {})
    attached: dict[str, list[Statement]] = {}
    for policy in body.values():
        if policy["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            document = resolved(path, policy["Properties"]["PolicyDocument"])
            for role in policy["Properties"].get("Roles", []):
                target = role.get("Ref") if isinstance(role, dict) else role
                attached.setdefault(str(target), []).extend(
                    Statement.parse(s) for s in _listed(document["Statement"])
                )
    found: dict[str, Role] = {}
    for logical, resource in body.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        properties = resolved(path, resource["Properties"])
        inline = [
            Statement.parse(statement)
            for policy in properties.get("Policies", [])
            for statement in _listed(policy["PolicyDocument"]["Statement"])
        ] + attached.get(logical, [])
        managed = tuple(_managed_name(arn) for arn in properties.get("ManagedPolicyArns", []))
        trusted: set[str] = set()
        for statement in _listed(properties["AssumeRolePolicyDocument"]["Statement"]):
            principal = statement["Principal"]
            assert set(principal) == {"Service"}, f"{logical} trusts {principal}"
            trusted.update(_listed(principal["Service"]))
        found[logical] = Role(
            stack=path.name,
            logical_id=logical,
            trusted=frozenset(trusted),
            statements=tuple(inline)
            + tuple(Statement.parse(s) for name in managed for s in MANAGED[name]),
            inline=tuple(inline),
            managed=managed,
        )
    return found


def function_roles(path: Path) -> dict[str, Role]:
    """The execution role of each Lambda function of a stack, by function logical id."""
    by_role = roles(path)
    found: dict[str, Role] = {}
    for logical, resource in expanded(path).get("Resources", {}).items():
        if resource["Type"] != "AWS::Lambda::Function":
            continue
        role = resource["Properties"]["Role"]
        assert isinstance(role, dict) and "Fn::GetAtt" in role, (
            f"{path.name}: {logical} must use a role of its own stack, not {role}"
        )
        found[logical] = by_role[role["Fn::GetAtt"][0]]
    return found
