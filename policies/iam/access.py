"""Least privilege for every IAM policy and DynamoDB resource policy a stack declares.

Covers `aws:iam/rolePolicy:RolePolicy`, `aws:iam/policy:Policy`, the inline policies of
`aws:iam/role:Role`, and table and stream resource policies (`aws:dynamodb/resourcePolicy:ResourcePolicy`).
What each statement grants is judged in policies/iam/grants.py against the stack's own tables and
consumers, read from `Pulumi.<stack>.yaml` beside the pack (the stack is the one in the resource's URN):
the same file, and the same model code, the program builds its tables and consumer grants from.

A document that is unknown during preview is a violation, as with the table policies: a grant that
cannot be read cannot be confirmed. The program builds its consumers' documents from known values, so
they are checked in the preview itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

from components.families import stack_from_stack_file
from components.model.access import LEVEL_ACTIONS, ROLE_ARN, ConsumerPlan, levels_text, role_name_of
from components.model.spec import ModelError
from components.model.stack_file import load_stack_file
from policies.dynamodb.tables import UNKNOWN, UNSET, config_value, read
from policies.iam.grants import Grantee, StackTables, judge_document

ROLE_POLICY_TYPE = "aws:iam/rolePolicy:RolePolicy"
POLICY_TYPE = "aws:iam/policy:Policy"
ROLE_TYPE = "aws:iam/role:Role"
RESOURCE_POLICY_TYPE = "aws:dynamodb/resourcePolicy:ResourcePolicy"
IAM_TYPES = (ROLE_POLICY_TYPE, POLICY_TYPE, ROLE_TYPE, RESOURCE_POLICY_TYPE)
PROJECT_DIR = Path(__file__).resolve().parent.parent.parent
TABLE_ARN_NAME = ":table/"

# botocore's endpoints.json partitions, by their regionRegex: a region's prefix names its partition.
PARTITION_PREFIXES = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"), ("us-iso-", "aws-iso"),
                      ("eu-isoe-", "aws-iso-e"), ("us-isof-", "aws-iso-f"))


def partition_of(region: str) -> str:
    return next((partition for prefix, partition in PARTITION_PREFIXES if region.startswith(prefix)), "aws")


class StackDeclarations:
    """A stack's tables and consumers, as its stack file declares them."""

    def __init__(self, stack: str, project_dir: Path) -> None:
        planned = stack_from_stack_file(project_dir, stack)
        region = load_stack_file(project_dir, stack).get("aws:region", "us-east-1")
        self.file = f"Pulumi.{stack}.yaml"
        self.tables = StackTables(stack, partition_of(region), region, tuple(p.name for p in planned.tables))
        self.consumers: list[ConsumerPlan] = planned.consumers

    def declared_for(self, role_name: str) -> dict[str, tuple[str, frozenset[str]]]:
        """Each table the role's consumers are granted: (the access kinds, the DynamoDB actions they allow)."""
        levels: dict[str, set[Any]] = {}
        for consumer in self.consumers:
            if consumer.role_name == role_name:
                for table, kinds in consumer.levels().items():
                    levels.setdefault(table, set()).update(kinds)
        return {table: (levels_text(sorted(kinds, key=list(LEVEL_ACTIONS).index)),
                        frozenset(a for kind in kinds for a in LEVEL_ACTIONS[kind]))
                for table, kinds in levels.items()}


@cache
def declarations(stack: str, project_dir: Path = PROJECT_DIR) -> StackDeclarations | str:
    """The stack's declarations, or why they cannot be read (a message for a violation)."""
    try:
        return StackDeclarations(stack, project_dir)
    except ModelError as error:
        return str(error)


def stack_of(urn: str) -> str:
    # urn:pulumi:<stack>::<project>::<type>::<name>
    return urn.removeprefix("urn:pulumi:").split("::", 1)[0]


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


def _grantee(args: ResourceValidationArgs, stack: StackDeclarations) -> Grantee:
    operators = list(config_value(args, "operatorRoles", []))
    declared_in = f"consumers in {stack.file}"
    if args.resource_type == RESOURCE_POLICY_TYPE:
        target = read(args.props, "resourceArn")
        if isinstance(target, str) and TABLE_ARN_NAME in target:
            table = target.split(TABLE_ARN_NAME, 1)[1].split("/", 1)[0]
            data = frozenset(a for actions in LEVEL_ACTIONS.values() for a in actions)
            return Grantee(f"the resource policy of table '{table}'", {table: ("read-write and stream", data)},
                           "a resource policy grants access to its own table only",
                           not_operator="a resource policy is not the way to grant them", attached_to=target)
        return Grantee("a resource policy whose table is unknown", {}, "its resourceArn")
    if args.resource_type == POLICY_TYPE:
        return Grantee("a managed policy", {}, f"only the {declared_in} are granted tables")
    role = read(args.props, "role" if args.resource_type == ROLE_POLICY_TYPE else "name")
    name = role_name_of(role) if isinstance(role, str) else None
    if name is None:
        return Grantee("a role whose name is unknown during preview", {}, declared_in)
    if name in operators or (isinstance(role, str) and ROLE_ARN.fullmatch(role) and role in operators):
        return Grantee(f"operator role '{name}'", None, "operatorRoles", operator=True)
    return Grantee(f"role '{name}'", stack.declared_for(name), declared_in)


def document_problems(document: Any, role: str, operators: list[str], stack: str) -> Iterator[str]:
    """What the pack reports for `document` as an inline policy of `role` in `stack` (for files kept outside
    the program, such as a job role's policy)."""
    declared = declarations(stack)
    if isinstance(declared, str):
        raise ValueError(declared)
    name = role_name_of(role) or role
    if name in operators or role in operators:
        grantee = Grantee(f"operator role '{name}'", None, "operatorRoles", operator=True)
    else:
        grantee = Grantee(f"role '{name}'", declared.declared_for(name), f"consumers in {declared.file}")
    yield from judge_document(document, grantee, declared.tables)


def _least_privilege(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in IAM_TYPES:
        args.not_applicable("not an IAM policy")
    documents = list(_documents(args))
    if all(document is UNSET for _, document in documents):
        return
    stack = declarations(stack_of(args.urn))
    if isinstance(stack, str):
        report_violation(f"the stack's tables and consumers cannot be read, so its DynamoDB grants cannot be "
                         f"checked: {stack}", None)
        return
    grantee = _grantee(args, stack)
    for label, document in documents:
        if document is UNKNOWN:
            report_violation(f"{label} is unknown during preview, so its DynamoDB access cannot be checked; build "
                             "it from known values (table names, region, account ID).", None)
        elif document is not UNSET:
            for problem in judge_document(document, grantee, stack.tables):
                report_violation(f"{label}: {problem}.", None)


iam_policy_dynamodb_least_privilege = ResourceValidationPolicy(
    name="iam-policy-dynamodb-least-privilege",
    description="Checks whether IAM and DynamoDB resource policies grant only what the stack declares: each Allow "
                "statement's actions (Action or NotAction, expanded against AWS's DynamoDB action list) on its "
                "resources (Resource or NotResource, against the stack's tables); no management or restore "
                "action outside the operator roles, no table outside the grantee's declared tables, no wildcard "
                "partition, region, account or table.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_least_privilege,
    config_schema=PolicyConfigSchema(properties={
        "operatorRoles": {"type": "array", "items": {"type": "string"}, "default": []},
    }),
)

IAM_POLICIES = [iam_policy_dynamodb_least_privilege]
