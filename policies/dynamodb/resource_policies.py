"""Resource policies on `aws:dynamodb/resourcePolicy:ResourcePolicy`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

RESOURCE_POLICY_TYPE = "aws:dynamodb/resourcePolicy:ResourcePolicy"


# The condition keys AWS trusts to make a `Principal: "*"` statement non-public: DynamoDB's block public
# access for resource-based policies, "Blocking public access with resource-based policies in DynamoDB"
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/rbac-bpa-rbp.html). The same page:
# the values must hold no wildcard or policy variable, and aws:PrincipalIsAWSService must be true.
TRUSTED_CONDITION_KEYS = (
    "aws:PrincipalAccount", "aws:PrincipalArn", "aws:PrincipalOrgID", "aws:PrincipalOrgPaths",
    "aws:SourceAccount", "aws:SourceArn", "aws:SourceVpc", "aws:SourceVpce", "aws:UserId",
    "aws:PrincipalServiceName", "aws:PrincipalServiceNamesList", "aws:PrincipalIsAWSService",
    "aws:Ec2InstanceSourceVpc", "aws:SourceOrgID", "aws:SourceOrgPaths",
)
# Operators that hold only when the key has one of the given values. A negated operator
# (StringNotEquals), an ...IfExists one (true when the key is absent) or ForAllValues (true for an
# empty set) lets a request without the key through, so it restricts nothing.
RESTRICTING_OPERATORS = ("StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike", "Bool")
SHOWN_KEYS = "aws:PrincipalOrgID, aws:PrincipalAccount, aws:SourceAccount, aws:SourceVpce"


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else [value]


def _is_public(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return "*" in _values(principal.get("AWS"))
    return False


def _restricts(operator: str, key: str, value: Any) -> bool:
    """Whether one condition narrows a public principal to specific values of a trusted key."""
    base = operator.removeprefix("ForAnyValue:")
    if base not in RESTRICTING_OPERATORS or key.lower() not in {k.lower() for k in TRUSTED_CONDITION_KEYS}:
        return False
    values = _values(value)
    if not values or not all(isinstance(v, (str, bool)) for v in values):
        return False
    if key.lower() == "aws:principalisawsservice":
        return base == "Bool" and all(str(v).lower() == "true" for v in values)
    return base != "Bool" and not any(c in str(v) for v in values for c in ("*", "?", "${"))


def public_statement_problem(statement: Mapping[str, Any]) -> str | None:
    """Why an Allow statement is public as AWS judges it, or None."""
    if statement.get("Effect") != "Allow":
        return None
    if "NotPrincipal" in statement:
        return "uses NotPrincipal, which allows every principal it does not name"
    if not _is_public(statement.get("Principal")):
        return None
    condition = statement.get("Condition")
    used: list[str] = []
    if isinstance(condition, Mapping):
        for operator, keys in condition.items():
            if not isinstance(keys, Mapping):
                continue
            for key, value in keys.items():
                if _restricts(str(operator), str(key), value):
                    return None
                used.append(f"{operator} {key}")
    why = f"its condition ({'; '.join(used)}) does not restrict" if used else "no condition restricts"
    return (f"allows Principal \"*\" and {why} it to specific values of a key AWS trusts, so AWS treats it as "
            f"public; use StringEquals or ArnEquals on {SHOWN_KEYS}, ... with values without wildcards")


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
        problem = public_statement_problem(statement) if isinstance(statement, Mapping) else None
        if problem:
            report_violation(f"policy statement {statement.get('Sid', f'#{index}')} {problem}.", None)


dynamodb_resource_policy_no_public_access = ResourceValidationPolicy(
    name="dynamodb-resource-policy-no-public-access",
    description="Checks whether DynamoDB resource policies are non-public as AWS judges them: no Principal \"*\" "
                "(or NotPrincipal) unless a condition restricts it to specific values of a key AWS trusts.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_no_public_access,
)

RESOURCE_POLICY_POLICIES = [dynamodb_resource_policy_no_public_access]
