"""Reading our SAM/CloudFormation templates: YAML short tags and the intrinsic functions we use.

The local cloud provisions from ``template.yaml`` and ``stacks/`` so the template stays the single
source of truth. This module only *reads* templates; what each resource type becomes locally is
``provision.py``'s job. Unsupported intrinsics raise ``LocalCloudError`` instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from plot_palette.errors import LocalCloudError

_SHORT_TAGS = {
    "Ref": "Ref",
    "GetAtt": "Fn::GetAtt",
    "Sub": "Fn::Sub",
    "Join": "Fn::Join",
    "Select": "Fn::Select",
    "Split": "Fn::Split",
    "GetAZs": "Fn::GetAZs",
    "If": "Fn::If",
    "Equals": "Fn::Equals",
    "Not": "Fn::Not",
    "And": "Fn::And",
    "Or": "Fn::Or",
    "Condition": "Condition",
    "FindInMap": "Fn::FindInMap",
    "ImportValue": "Fn::ImportValue",
    "Base64": "Fn::Base64",
}


class _TemplateLoader(yaml.SafeLoader):
    """A SafeLoader that turns CloudFormation short tags (``!Ref``) into their long form."""


def _construct_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = _SHORT_TAGS.get(suffix)
    if name is None:
        raise LocalCloudError(f"unsupported CloudFormation tag !{suffix}")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == "Fn::GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_TemplateLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path) -> dict[str, Any]:
    """Load a CloudFormation/SAM YAML template into plain dicts with long-form intrinsics."""
    try:
        with path.open(encoding="utf-8") as handle:
            loaded = yaml.load(handle, Loader=_TemplateLoader)  # noqa: S506 - SafeLoader subclass
    except (OSError, yaml.YAMLError) as error:
        raise LocalCloudError(f"cannot read template {path}: {error}") from error
    if not isinstance(loaded, dict) or "Resources" not in loaded:
        raise LocalCloudError(f"{path} is not a CloudFormation template (no Resources)")
    return loaded


@dataclass
class Scope:
    """What intrinsics resolve against in one stack: parameters, pseudo parameters, resources."""

    region: str
    account_id: str
    stack_name: str
    parameters: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    conditions: dict[str, bool] = field(default_factory=dict)

    def pseudo(self, name: str) -> Any:
        pseudo = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::StackName": self.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": _NO_VALUE,
            "AWS::StackId": (
                f"arn:aws:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local"
            ),
        }
        if name not in pseudo:
            raise LocalCloudError(f"unknown pseudo parameter {name}")
        return pseudo[name]


_NO_VALUE = object()
_SUB_PATTERN = re.compile(r"\$\{([^}!][^}]*)\}")


def resolve(value: Any, scope: Scope) -> Any:
    """Resolve every intrinsic function inside ``value`` against ``scope``."""
    if isinstance(value, list):
        items = [resolve(item, scope) for item in value]
        return [item for item in items if item is not _NO_VALUE]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, argument),) = value.items()
        handler = _INTRINSICS.get(key)
        if handler is not None:
            return handler(argument, scope)
    resolved = {key: resolve(item, scope) for key, item in value.items()}
    return {key: item for key, item in resolved.items() if item is not _NO_VALUE}


def _ref(name: str, scope: Scope) -> Any:
    if name.startswith("AWS::"):
        return scope.pseudo(name)
    if name in scope.parameters:
        return scope.parameters[name]
    if name in scope.refs:
        return scope.refs[name]
    raise LocalCloudError(f"!Ref {name}: no such parameter or resource (yet)")


def _get_att(argument: Any, scope: Scope) -> Any:
    resource, attribute = resolve(argument, scope)
    try:
        return scope.attributes[resource][attribute]
    except KeyError:
        raise LocalCloudError(f"!GetAtt {resource}.{attribute} is not known locally") from None


def _sub(argument: Any, scope: Scope) -> str:
    if isinstance(argument, list):
        text, variables = argument[0], resolve(argument[1], scope)
    else:
        text, variables = argument, {}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in variables:
            return str(variables[name])
        if "." in name and not name.startswith("AWS::"):
            return str(_get_att(name.split(".", 1), scope))
        return str(_ref(name, scope))

    return _SUB_PATTERN.sub(replace, text).replace("${!", "${")


def _join(argument: Any, scope: Scope) -> str:
    delimiter, items = argument
    return str(delimiter).join(str(item) for item in resolve(items, scope))


def _select(argument: Any, scope: Scope) -> Any:
    index, items = resolve(argument, scope)
    if isinstance(items, str):
        items = items.split(",")
    return items[int(index)]


def _split(argument: Any, scope: Scope) -> list[str]:
    delimiter, text = resolve(argument, scope)
    return str(text).split(delimiter)


def _get_azs(argument: Any, scope: Scope) -> list[str]:
    return [f"{scope.region}{suffix}" for suffix in "abc"]


def _if(argument: Any, scope: Scope) -> Any:
    condition, when_true, when_false = argument
    if condition not in scope.conditions:
        raise LocalCloudError(f"unknown condition {condition}")
    return resolve(when_true if scope.conditions[condition] else when_false, scope)


def _equals(argument: Any, scope: Scope) -> bool:
    left, right = resolve(argument, scope)
    return str(left) == str(right)


def _not(argument: Any, scope: Scope) -> bool:
    return not resolve(argument, scope)[0]


def _and(argument: Any, scope: Scope) -> bool:
    return all(resolve(argument, scope))


def _or(argument: Any, scope: Scope) -> bool:
    return any(resolve(argument, scope))


def _condition(argument: Any, scope: Scope) -> bool:
    return scope.conditions[argument]


_INTRINSICS = {
    "Ref": lambda argument, scope: _ref(resolve(argument, scope), scope),
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::GetAZs": _get_azs,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": _not,
    "Fn::And": _and,
    "Fn::Or": _or,
    "Condition": _condition,
}


def references(value: Any) -> set[str]:
    """Return the logical ids ``value`` refers to (Ref, GetAtt, Sub), to order creation."""
    found: set[str] = set()
    if isinstance(value, list):
        for item in value:
            found |= references(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                found.add(item)
            elif key == "Fn::GetAtt":
                target = item if isinstance(item, list) else str(item).split(".", 1)
                if isinstance(target[0], str):
                    found.add(target[0])
            elif key == "Fn::Sub":
                text = item[0] if isinstance(item, list) else item
                for name in _SUB_PATTERN.findall(text):
                    found.add(name.split(".", 1)[0])
                if isinstance(item, list):
                    found |= references(item[1])
            else:
                found |= references(item)
    return found


def creation_order(resources: dict[str, Any]) -> list[str]:
    """Order logical ids so that every resource comes after those it refers to or depends on."""
    pending = {
        name: {
            dep
            for dep in references(_without_sam_events(body)) | set(_depends_on(body))
            if dep in resources and dep != name
        }
        for name, body in resources.items()
    }
    ordered: list[str] = []
    while pending:
        ready = sorted(name for name, deps in pending.items() if not deps - set(ordered))
        if not ready:
            raise LocalCloudError(f"circular references between {sorted(pending)}")
        for name in ready:
            ordered.append(name)
            del pending[name]
    return ordered


def _without_sam_events(body: dict[str, Any]) -> dict[str, Any]:
    """SAM turns a function's Events into separate resources created after it: not its deps."""
    if body.get("Type") != "AWS::Serverless::Function":
        return body
    properties = {k: v for k, v in body.get("Properties", {}).items() if k != "Events"}
    return {**body, "Properties": properties}


def _depends_on(body: dict[str, Any]) -> list[str]:
    depends = body.get("DependsOn", [])
    return [depends] if isinstance(depends, str) else list(depends)
