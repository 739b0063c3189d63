"""Templates as the infrastructure tests read them: decoded, SAM-expanded, resolved symbolically.

Every stack in ``stacks/`` is found by globbing, so a stack added later (auth, api, …) is
checked by the same assertions without anyone listing it. Parameters and resources resolve to
their own names (``!Ref BucketName`` is ``"BucketName"``, ``!GetAtt Topic.Arn`` is
``"Topic.Arn"``) and pseudo parameters to ``REGION``/``ACCOUNT``, so an assertion can say which
table or prefix a policy names without any real account.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfnlint.decode import decode
from cfnlint.template.transforms._sam import Transform

from plot_palette.local.cfn import Scope, resolve

ROOT = Path(__file__).resolve().parents[3]
ROOT_TEMPLATE = ROOT / "template.yaml"
STACKS = sorted((ROOT / "stacks").glob("*.yaml"))
REGION, ACCOUNT = "REGION", "ACCOUNT"
SAM = "AWS::Serverless-2016-10-31"


@functools.cache
def raw(path: Path) -> dict[str, Any]:
    """The template as written (long-form intrinsics), plain dicts and lists."""
    template, matches = decode(str(path))
    assert template is not None and not matches, f"{path.name} does not decode: {matches}"
    loaded: dict[str, Any] = json.loads(json.dumps(template))
    return loaded


@functools.cache
def expanded(path: Path) -> dict[str, Any]:
    """The template after the SAM transform: the roles SAM generates become visible."""
    template = raw(path)
    if template.get("Transform") != SAM:
        return template
    decoded, _ = decode(str(path))
    previous = os.environ.get("AWS_DEFAULT_REGION")
    try:
        transform = Transform(str(path), decoded, REGION)
        errors = transform.transform_template()
        assert not errors, f"{path.name}: SAM transform failed: {errors}"
        result: dict[str, Any] = json.loads(json.dumps(transform.template()))
    finally:
        # the transform sets the variable for samtranslator; leave the process as it was
        if previous is None:
            os.environ.pop("AWS_DEFAULT_REGION", None)
        else:
            os.environ["AWS_DEFAULT_REGION"] = previous
    return result


class _Attributes(dict[str, dict[str, Any]]):
    """``!GetAtt X.Y`` of any resource resolves to the token ``"X.Y"``."""

    def __missing__(self, logical: str) -> dict[str, Any]:
        return _ResourceAttributes(logical)


class _ResourceAttributes(dict[str, Any]):
    def __init__(self, logical: str) -> None:
        super().__init__()
        self._logical = logical

    def __missing__(self, attribute: str) -> str:
        return f"{self._logical}.{attribute}"


def scope(template: dict[str, Any]) -> Scope:
    """Resolve against symbols: each parameter and resource stands for its own name."""
    parameters: dict[str, Any] = {}
    for name, declaration in template.get("Parameters", {}).items():
        if declaration.get("Type") == "CommaDelimitedList":
            parameters[name] = [f"{name}{index}" for index in range(3)]
        else:
            parameters[name] = name
    symbols = Scope(
        region=REGION,
        account_id=ACCOUNT,
        stack_name="STACK",
        parameters=parameters,
        refs={logical: logical for logical in template.get("Resources", {})},
        attributes=_Attributes(),
    )
    for condition, expression in template.get("Conditions", {}).items():
        symbols.conditions[condition] = bool(resolve(expression, symbols))
    return symbols


def resolved(path: Path, value: Any) -> Any:
    """``value`` (a piece of ``expanded(path)``) with every intrinsic resolved to symbols."""
    return resolve(value, scope(expanded(path)))


def resources(path: Path, kind: str, *, sam: bool = False) -> dict[str, dict[str, Any]]:
    """``{logical_id: properties}`` of a type, from the SAM-expanded template unless ``sam``."""
    template = raw(path) if sam else expanded(path)
    return {
        logical: body.get("Properties", {})
        for logical, body in template.get("Resources", {}).items()
        if body["Type"] == kind
    }


def all_resources(kind: str, *, sam: bool = False) -> list[tuple[Path, str, dict[str, Any]]]:
    """Every resource of a type across every stack: ``(stack, logical_id, properties)``."""
    return [
        (path, logical, properties)
        for path in STACKS
        for logical, properties in resources(path, kind, sam=sam).items()
    ]


def stack(name: str) -> Path:
    path = ROOT / "stacks" / f"{name}.yaml"
    assert path.exists(), f"stacks/{name}.yaml is missing"
    return path


@dataclass(frozen=True)
class NestedStack:
    """A nested stack of ``template.yaml``: its logical id, template and parameter wiring."""

    logical_id: str
    path: Path
    parameters: dict[str, Any]


def nested_stacks() -> dict[str, NestedStack]:
    """The root template's nested stacks by the file they deploy (``stacks/x.yaml``)."""
    found: dict[str, NestedStack] = {}
    for logical, body in raw(ROOT_TEMPLATE)["Resources"].items():
        if body["Type"] in ("AWS::Serverless::Application", "AWS::CloudFormation::Stack"):
            properties = body["Properties"]
            path = (ROOT / properties["Location"]).resolve()
            found[path.name] = NestedStack(logical, path, properties.get("Parameters", {}))
    return found
