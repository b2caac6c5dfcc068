"""A table family as a Pulumi ComponentResource that owns one `aws.dynamodb.Table` per planned table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.model.access import ROLE_ARN, ConsumerPlan, plan_access, plan_consumers, role_name_of
from components.model.family import FamilyDefinition
from components.model.plan import TablePlan
from components.resources.access import Account, current_account, role_policy
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

    def grant(self, role: str | aws.iam.Role | pulumi.Output[str], level: str | Sequence[str],
              tables: Sequence[str] | None = None, name: str | None = None) -> aws.iam.RolePolicy:
        """Give a role `level` access (read, write, read-write, stream, or a list of them) to this family's
        tables, or to the table keys in `tables`: aws-cdk's grantReadData/grantReadWriteData/grantStreamRead.

        `role` is a role name or ARN, an `aws.iam.Role` of the program, or an `Output[str]` holding a role
        name or ARN (another stack's output, say). The same least-privilege policy the `consumers` config
        produces, attached to the role.
        """
        levels = [level] if isinstance(level, str) else list(level)
        consumer_name = name or f"{self.definition.key}-{'-'.join(levels)}"
        access = {f"{self.definition.key}.{key}": levels for key in tables} if tables else {
            self.definition.key: levels}
        resource_name = f"{self.definition.key}-grant-{consumer_name}"
        if isinstance(role, str):
            [consumer] = plan_consumers(pulumi.get_stack(), {consumer_name: {"role": role, "access": access}},
                                        self.plans)
            return role_policy(resource_name, consumer, parent=self)
        grants = plan_access(pulumi.get_stack(), f"grant {consumer_name}", consumer_name, access, self.plans)
        consumer = ConsumerPlan(name=consumer_name, role_name="", grants=grants)
        if isinstance(role, aws.iam.Role):
            return role_policy(resource_name, consumer, parent=self, role=role.name)
        account = current_account()
        return role_policy(resource_name, consumer, parent=self, role=role.apply(lambda r: _role_name(r, account)))


def _role_name(role: str, account: Account) -> str:
    """A role name from the name or ARN an Output resolved to; anything else, or a role ARN of another
    account, stops the update (an inline policy attaches to a role of the deploying account only)."""
    name = role_name_of(role)
    if name is None:
        raise pulumi.RunError(f"TableFamily.grant: role resolved to {role!r}; expected an IAM role name or ARN")
    match = ROLE_ARN.fullmatch(role)
    if match and (match["account"], match["partition"]) != (account.account_id, account.partition):
        raise pulumi.RunError(f"TableFamily.grant: role {role} is not in the account this stack deploys to "
                              f"({account.account_id}); grant another account's role through a table resource policy")
    return name
