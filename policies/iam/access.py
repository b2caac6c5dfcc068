"""Least privilege for every IAM policy a stack declares that touches DynamoDB.

Covers `aws:iam/rolePolicy:RolePolicy`, `aws:iam/policy:Policy` and the inline policies of
`aws:iam/role:Role`. A document that is unknown during preview is a violation, as with the table
policies: a grant that cannot be read cannot be confirmed. The program builds its consumers'
documents from known values, so they are checked in the preview itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from components.model.access import MANAGEMENT_ACTIONS
from policies.dynamodb.tables import UNKNOWN, UNSET, config_value, read

ROLE_POLICY_TYPE = "aws:iam/rolePolicy:RolePolicy"
POLICY_TYPE = "aws:iam/policy:Policy"
ROLE_TYPE = "aws:iam/role:Role"
IAM_TYPES = (ROLE_POLICY_TYPE, POLICY_TYPE, ROLE_TYPE)


def _as_list(value: Any) -> list[Any]:
    """IAM's "one or a list": a string or a statement alone, or a list (a Sequence proxy over gRPC)."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return [value]


def _documents(args: ResourceValidationArgs) -> Iterator[tuple[str, Any]]:
    """(label, document) for each policy document the resource carries; UNKNOWN where not yet known."""
    if args.resource_type == ROLE_TYPE:
        inline = read(args.props, "inlinePolicies")
        if inline is UNKNOWN:
            yield "inlinePolicies", UNKNOWN
            return
        # pulumi-policy hands lists over as a Sequence proxy, not a list.
        for index, policy in enumerate(inline if isinstance(inline, Sequence) and not isinstance(inline, str)
                                       else []):
            yield f"inlinePolicies[{index}]", read(policy, "policy") if isinstance(policy, Mapping) else UNSET
        return
    yield "policy", read(args.props, "policy")


def _is_dynamodb(action: str) -> bool:
    return action == "*" or action.lower().startswith("dynamodb:")


def _problems(document: Any, role: str, operators: list[str]) -> Iterator[str]:
    try:
        parsed = json.loads(document) if isinstance(document, str) else document
    except json.JSONDecodeError as error:
        yield f"it does not parse as JSON ({error.msg})"
        return
    statements = parsed.get("Statement", []) if isinstance(parsed, Mapping) else []
    for index, statement in enumerate(_as_list(statements)):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        label = statement.get("Sid", f"#{index}")
        actions = [a for a in _as_list(statement.get("Action", [])) if isinstance(a, str)]
        resources = [r for r in _as_list(statement.get("Resource", [])) if isinstance(r, str)]
        if "NotAction" in statement:
            yield f"statement {label} uses NotAction, which grants everything else"
        broad = [a for a in actions if a == "*" or (_is_dynamodb(a) and "*" in a)]
        if broad:
            yield f"statement {label} allows {', '.join(broad)}; name the DynamoDB actions it needs"
        dynamo = [a for a in actions if _is_dynamodb(a)]
        if dynamo and "*" in resources:
            yield f"statement {label} allows {', '.join(dynamo)} on Resource \"*\"; name the tables' ARNs"
        if role not in operators:
            # Wildcards are reported above already; name the management actions granted by name.
            managing = sorted({m for a in dynamo if "*" not in a for m in MANAGEMENT_ACTIONS
                               if m.lower() == a.lower()})
            if managing:
                yield (f"statement {label} grants table-management actions ({', '.join(managing)}) to "
                       f"{'role ' + repr(role) if role else 'a policy'} that is not an operator")


def _least_privilege(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in IAM_TYPES:
        args.not_applicable("not an IAM policy")
    operators = list(config_value(args, "operatorRoles", []))
    role_value = read(args.props, "role") if args.resource_type == ROLE_POLICY_TYPE else read(args.props, "name")
    role = role_value if isinstance(role_value, str) else ""
    for label, document in _documents(args):
        if document is UNKNOWN:
            report_violation(f"{label} is unknown during preview, so its DynamoDB access cannot be checked; build "
                             "it from known values (table names, region, account ID).", None)
        elif document is UNSET:
            continue
        else:
            for problem in _problems(document, role, operators):
                report_violation(f"{label}: {problem}.", None)


iam_policy_dynamodb_least_privilege = ResourceValidationPolicy(
    name="iam-policy-dynamodb-least-privilege",
    description="Checks whether IAM policies grant DynamoDB access by name on named tables: no wildcard actions, "
                "no Resource \"*\", and no table-management actions outside the operator roles.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_least_privilege,
    config_schema=PolicyConfigSchema(properties={
        "operatorRoles": {"type": "array", "items": {"type": "string"}, "default": []},
    }),
)

IAM_POLICIES = [iam_policy_dynamodb_least_privilege]
