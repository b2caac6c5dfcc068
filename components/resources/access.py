"""Consumers' access as Pulumi resources: one inline IAM policy on each consumer's role.

An inline `aws.iam.RolePolicy` (not a managed policy) because the grant belongs to this stack:
`pulumi destroy` of the stack removes it with the tables, and nothing else can attach it elsewhere.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import pulumi
import pulumi_aws as aws

from components.model.access import ConsumerPlan, check_role_account, policy_document
from components.model.spec import ModelError

ACCESS_TOKEN = "dynamodbTables:access:Consumer"


@dataclass(frozen=True)
class Account:
    partition: str
    region: str
    account_id: str


@cache
def current_account() -> Account:
    """Where the tables live, known during preview: invokes run then, unlike resource outputs."""
    region = aws.config.region or aws.get_region().name
    return Account(aws.get_partition().partition, region, aws.get_caller_identity().account_id)


def role_policy(name: str, consumer: ConsumerPlan, parent: pulumi.Resource,
                role: pulumi.Input[str] | None = None) -> aws.iam.RolePolicy:
    """The consumer's inline policy on its role: `consumer.role_name`, or `role` (a name known at deploy time)."""
    account = current_account()
    # With aws:allowedAccountIds set the plan has checked role ARNs already (and the provider refuses any
    # other account); without it, the account the stack deploys to is the caller's.
    if pulumi.Config("aws").get("allowedAccountIds") is None:
        try:
            check_role_account(pulumi.get_stack(), consumer, [account.account_id], account.partition)
        except ModelError as error:
            raise pulumi.RunError(str(error)) from None
    document = policy_document(consumer, account.partition, account.region, account.account_id)
    return aws.iam.RolePolicy(
        name,
        name=f"dynamodb-tables-{consumer.name}",
        role=consumer.role_name if role is None else role,
        policy=json.dumps(document, indent=2),
        opts=pulumi.ResourceOptions(parent=parent),
    )


class ConsumerAccess(pulumi.ComponentResource):
    """One service's access to the stack's tables, and the table names it should be given."""

    environment: pulumi.Output[dict[str, str]]

    def __init__(self, consumer: ConsumerPlan, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(ACCESS_TOKEN, consumer.name, None, opts)
        self.policy = role_policy(f"{consumer.name}-dynamodb", consumer, parent=self)
        self.environment = pulumi.Output.from_input(consumer.environment())
        self.register_outputs({"environment": self.environment, "role": consumer.role_name,
                               "policyName": self.policy.name})
