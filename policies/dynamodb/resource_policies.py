"""Resource policies on `aws:dynamodb/resourcePolicy:ResourcePolicy`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

RESOURCE_POLICY_TYPE = "aws:dynamodb/resourcePolicy:ResourcePolicy"


def _is_public(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        aws = principal.get("AWS")
        return aws == "*" or (isinstance(aws, list) and "*" in aws)
    return False


def _no_public_access(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != RESOURCE_POLICY_TYPE:
        return
    # An unknown document (one built from a table ARN during preview) raises UnknownValueError
    # here; pulumi-policy reports that it cannot run until `pulumi up` resolves the document.
    document = args.props["policy"]
    try:
        parsed = json.loads(document) if isinstance(document, str) else document
    except json.JSONDecodeError as error:
        report_violation(f"policy must be a JSON policy document; it does not parse ({error.msg}).", None)
        return
    statements = parsed.get("Statement", []) if isinstance(parsed, Mapping) else []
    for index, statement in enumerate([statements] if isinstance(statements, Mapping) else statements):
        if statement.get("Effect") == "Allow" and _is_public(statement.get("Principal")) \
                and not statement.get("Condition"):
            label = statement.get("Sid", f"#{index}")
            report_violation(f"policy statement {label} must not allow Principal \"*\" without a Condition "
                             f"(for example aws:PrincipalOrgID or aws:SourceAccount).", None)


dynamodb_resource_policy_no_public_access = ResourceValidationPolicy(
    name="dynamodb-resource-policy-no-public-access",
    description="Checks whether DynamoDB resource policies avoid granting access to Principal \"*\" "
                "without a condition.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_no_public_access,
)

RESOURCE_POLICY_POLICIES = [dynamodb_resource_policy_no_public_access]
