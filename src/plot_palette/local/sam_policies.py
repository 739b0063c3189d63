"""The statements of a SAM function's or state machine's ``Policies``, as SAM would expand them.

SAM turns ``Policies`` into the role it generates for the resource: an inline document stays as
written, a policy template (``LambdaInvokePolicy: {FunctionName: ...}``) becomes SAM's own
statements (expanded here with samtranslator's processor, the code ``sam deploy`` runs), and a
name or ARN is a managed policy. The local IAM enforces the result, so a policy template that
grants less than a call needs fails locally as it would on AWS.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor

from plot_palette.errors import LocalCloudError
from plot_palette.local.iam_policy import Statement, listed, managed_statements, statements


@functools.cache
def _templates() -> PolicyTemplatesProcessor:
    return PolicyTemplatesProcessor(PolicyTemplatesProcessor.get_default_policy_templates_json())


def sam_statements(
    policies: Any, resolve: Callable[[Any], Any], *, managed: tuple[str, ...] = ()
) -> list[Statement]:
    """Every statement of the role SAM generates for ``policies`` (intrinsics resolved by
    ``resolve``), with the managed policies SAM adds itself (``managed``: a function's basic
    execution role, X-Ray's when tracing is on)."""
    found = [statement for name in managed for statement in managed_statements(name)]
    for policy in listed(policies or []):
        if isinstance(policy, str):
            found += managed_statements(policy)
        elif "Statement" in policy:
            found += statements(policy)
        elif len(policy) == 1:
            name, parameters = next(iter(policy.items()))
            if not _templates().has(name):
                raise LocalCloudError(f"SAM policy template {name} is unknown to samtranslator")
            found += statements(resolve(_templates().convert(name, parameters or {})))
        else:
            raise LocalCloudError(f"a SAM policy the local IAM cannot read: {policy}")
    return found
