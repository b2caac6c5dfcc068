"""The shared shape of a table family: a ComponentResource that owns its tables."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import pulumi
import pulumi_aws as aws

from components.table import declare_table
from components.table_spec import TableSpec

if TYPE_CHECKING:
    from components.plan import TablePlan  # imported for types only: plan imports the families

TOKEN_PREFIX = "dynamodbTables:families"


@dataclass
class TableFamilyArgs:
    """The family's tables, already planned and validated for this stack."""

    plans: Sequence[TablePlan]


class TableFamily(pulumi.ComponentResource):
    """Base for every family: one `aws.dynamodb.Table` child per planned table."""

    type_name: ClassVar[str]
    tables: pulumi.Output[dict[str, dict[str, str]]]
    table_resources: dict[str, aws.dynamodb.Table]

    def __init__(self, name: str, args: TableFamilyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TOKEN_PREFIX}:{self.type_name}", name, None, opts)
        self.table_resources = {plan.spec.key: declare_table(plan, parent=self) for plan in args.plans}
        outputs: dict[str, pulumi.Input[dict[str, pulumi.Input[str]]]] = {}
        for plan in args.plans:
            table = self.table_resources[plan.spec.key]
            entry: dict[str, pulumi.Input[str]] = {"name": table.name, "arn": table.arn}
            if plan.spec.stream is not None:
                entry["streamArn"] = table.stream_arn
            outputs[plan.spec.key] = entry
        self.tables = pulumi.Output.from_input(outputs)  # type: ignore[arg-type]
        self.register_outputs({"tables": self.tables})


@dataclass(frozen=True)
class FamilyDefinition:
    """What the catalog knows of a family: its config key, its tables and its component class."""

    key: str
    title: str
    tables: tuple[TableSpec, ...]
    component: type[TableFamily]
