"""Stack policies over every DynamoDB table a stack declares."""

from __future__ import annotations

import re
from pathlib import Path

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from components.families import production_tables
from components.model.stack_settings import is_production
from policies.dynamodb.tables import TABLE_TYPE, UNKNOWN, UNSET, read

# A non-prod table name must carry its environment as a whole token (dev-, -dev, ...-dev-...), so
# that no dev or staging stack can claim a prod table's name in a shared account.
EXEMPT_ENVIRONMENTS = ["prod"]


def _environment_in_name(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    environment = str(config.get("environment") or "")
    if not environment:
        args.not_applicable("no environment configured for this policy")
    if environment in config.get("exemptEnvironments", EXEMPT_ENVIRONMENTS):
        args.not_applicable(f"environment {environment} keeps its established table names")
    token = re.compile(rf"(^|[-_.]){re.escape(environment)}([-_.]|$)", re.IGNORECASE)
    for resource in args.resources:
        if resource.resource_type != TABLE_TYPE:
            continue
        name = read(resource.props, "name")
        if name is UNSET or name is UNKNOWN:
            report_violation(f"name must be set and carry the environment '{environment}'; "
                             f"it is {'unset' if name is UNSET else 'unknown during preview'}.", resource.urn)
        elif not token.search(name):
            report_violation(f"table name '{name}' must carry the environment '{environment}' as a prefix or "
                             f"suffix token (for example {environment}-{name} or {name}-{environment}).",
                             resource.urn)


dynamodb_table_name_environment_prefixed = StackValidationPolicy(
    name="dynamodb-table-name-environment-prefixed",
    description="Checks whether every DynamoDB table name in a non-prod stack carries the stack's environment "
                "as a prefix or suffix token.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_environment_in_name,
    config_schema=PolicyConfigSchema(properties={
        "environment": {"type": "string", "default": ""},
        "exemptEnvironments": {"type": "array", "items": {"type": "string"}, "default": EXEMPT_ENVIRONMENTS},
    }),
)

# The project the pack belongs to (`<project>/policies`): its stack files say which names are prod's.
PROJECT_DIR = Path(__file__).resolve().parents[2]


def _no_production_names(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    config = args.get_config()
    environment = str(config.get("environment") or "")
    if not environment:
        args.not_applicable("no environment configured for this policy")
    if is_production(environment):
        args.not_applicable(f"environment {environment} is production: prod's names are its own")
    owners = production_tables(PROJECT_DIR)
    for resource in args.resources:
        if resource.resource_type != TABLE_TYPE:
            continue
        name = read(resource.props, "name")
        if isinstance(name, str) and name in owners:
            files = " and ".join(f"Pulumi.{stack}.yaml" for stack in owners[name])
            report_violation(f"table name '{name}' is a production table, declared by {files}; a {environment} "
                             "stack may not declare it (its tools and deploys would write prod's data).",
                             resource.urn)


dynamodb_table_name_not_production = StackValidationPolicy(
    name="dynamodb-table-name-not-production",
    description="Checks whether a non-prod stack declares a DynamoDB table name that a prod stack of the project "
                "declares.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_no_production_names,
    config_schema=PolicyConfigSchema(properties={"environment": {"type": "string", "default": ""}}),
)

STACK_POLICIES = [dynamodb_table_name_environment_prefixed, dynamodb_table_name_not_production]
