"""A table family as a Pulumi ComponentResource that owns one `aws.dynamodb.Table` per planned table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.model.access import plan_consumers
from components.model.family import FamilyDefinition
from components.model.plan import TablePlan
from components.resources.access import role_policy
from components.resources.table import declare_table


@dataclass
class TableFamilyArgs:
    """The family's tables, already planned and validated for this stack."""

    plans: Sequence[TablePlan]


class TableFamily(pulumi.ComponentResource):
    """One family's tables. The type token comes from the family's definition, so it never changes
    when this class is renamed or moved (a changed token would replace every table)."""

    tables: pulumi.Output[dict[str, dict[str, str]]]
    table_resources: dict[str, aws.dynamodb.Table]

    def __init__(self, definition: FamilyDefinition, args: TableFamilyArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(definition.type_token, definition.key, None, opts)
        self.definition = definition
        self.table_resources = {plan.spec.key: declare_table(plan, parent=self) for plan in args.plans}
        outputs: dict[str, pulumi.Input[dict[str, pulumi.Input[str]]]] = {}
        for plan in args.plans:
            table = self.table_resources[plan.spec.key]
            entry: dict[str, pulumi.Input[str]] = {"name": table.name, "arn": table.arn}
            if plan.spec.stream is not None:
                entry["streamArn"] = table.stream_arn
            outputs[plan.spec.key] = entry
        self.plans = list(args.plans)
        self.tables = pulumi.Output.from_input(outputs)  # type: ignore[arg-type]
        self.register_outputs({"tables": self.tables})

    def grant(self, role: str, level: str, tables: Sequence[str] | None = None,
              name: str | None = None) -> aws.iam.RolePolicy:
        """Give a role `level` access (read, write, read-write, stream) to this family's tables, or to
        the table keys in `tables`: aws-cdk's grantReadData/grantReadWriteData/grantStreamRead.

        The same least-privilege policy the `consumers` config produces, attached to the role.
        """
        consumer_name = name or f"{self.definition.key}-{level}"
        access = {f"{self.definition.key}.{key}": level for key in tables} if tables else {self.definition.key: level}
        [consumer] = plan_consumers(pulumi.get_stack(), {consumer_name: {"role": role, "access": access}}, self.plans)
        return role_policy(f"{self.definition.key}-grant-{consumer_name}", consumer, parent=self)
