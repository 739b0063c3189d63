"""The roles our templates declare or SAM generates, read statically from the templates.

It answers "may this role do ACTION on RESOURCE (with these condition keys)?" with the local
cloud's IAM evaluator (``plot_palette.local.iam_policy``: an explicit Deny wins, else any Allow
whose action, resource and conditions all match), on the SAM-expanded templates with symbolic
ARNs, so a test can name a role's permissions without provisioning anything. Managed policies
are only those listed in ``MANAGED`` with their documented statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from plot_palette.local.iam_policy import MANAGED, Context, Statement
from plot_palette.local.iam_policy import Role as EnforcedRole
from plot_palette.local.iam_policy import listed as _listed
from tests.unit.infra.cfn import expanded, resolved


@dataclass(frozen=True)
class Role:
    """An IAM role with every statement that applies to it, managed policies expanded."""

    stack: str
    logical_id: str
    trusted: frozenset[str]
    statements: tuple[Statement, ...]
    inline: tuple[Statement, ...]
    managed: tuple[str, ...]

    def allows(self, action: str, resource: str, context: Context | None = None) -> bool:
        """Whether IAM would allow ``action`` on ``resource`` for this role (the local cloud's
        evaluator, the one that enforces these roles at run time)."""
        enforced = EnforcedRole(f"{self.stack}:{self.logical_id}", list(self.statements))
        return enforced.allows(action, resource, context)

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
