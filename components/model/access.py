"""Who may use which table, and the least-privilege IAM policy that says so.

A stack's config names its consumers (the services that use its tables) and what each needs:
`read`, `write`, `read-write` or `stream`, or several on one table (`[read, stream]`). This module
turns that into IAM policy documents, with the action sets of aws-cdk's grants
(`aws-dynamodb/lib/perms.ts`), on the tables' own ARNs only. Never `*`, never `dynamodb:*`, never a
table-management action. The Pulumi program attaches the documents to the consumers' roles;
`tables access` prints the same grants as a matrix.

Resources are built from table names, the region and the account, not from the tables' `arn`
outputs, so a document is known in full during `pulumi preview` and the policy pack checks it
there, before anything is granted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from components.model.config_reader import config_error
from components.model.plan import TablePlan
from components.model.spec import ModelError


class AccessLevel(StrEnum):
    READ = "read"
    WRITE = "write"
    READ_WRITE = "read-write"
    STREAM = "stream"


# aws-cdk's READ_DATA_ACTIONS without GetRecords/GetShardIterator (stream actions: `stream` grants them).
READ_ACTIONS = ("dynamodb:BatchGetItem", "dynamodb:ConditionCheckItem", "dynamodb:DescribeTable",
                "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan")
WRITE_ACTIONS = ("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable",
                 "dynamodb:PutItem", "dynamodb:UpdateItem")
# ListStreams is left out on purpose: IAM only allows it on Resource "*" (aws-cdk grants it so). A
# consumer is given its stream's ARN (the `streamArn` output), so DescribeStream on it is enough.
STREAM_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")
KMS_READ_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")
KMS_WRITE_ACTIONS = ("kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*")

ROLE_ARN = re.compile(r"arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/(?:[\w+=,.@-]+/)*"
                      r"(?P<name>[\w+=,.@-]{1,64})")
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
ROLE_RULE = "an IAM role ARN (arn:aws:iam::<account>:role/<name>) or a role name of 1 to 64 [A-Za-z0-9_+=,.@-]"
CONSUMER_NAME = re.compile(r"[a-z][a-z0-9-]{0,47}")


# What each access kind grants on a table, for the policy pack's check of hand-written grants too.
LEVEL_ACTIONS: dict[AccessLevel, tuple[str, ...]] = {
    AccessLevel.READ: READ_ACTIONS,
    AccessLevel.WRITE: WRITE_ACTIONS,
    AccessLevel.READ_WRITE: tuple(sorted(set(READ_ACTIONS) | set(WRITE_ACTIONS))),
    AccessLevel.STREAM: STREAM_ACTIONS,
}
LEVELS_RULE = ("one of read, write, read-write, stream, or a list of them (read and stream, for a service that "
               "reads a table and its stream)")


@dataclass(frozen=True)
class Grant:
    plan: TablePlan
    level: AccessLevel


@dataclass(frozen=True)
class ConsumerPlan:
    """One service's access to this stack's tables, checked against what the stack deploys.

    A table may be granted several access kinds (`read` and `stream`): one Grant each. `role_account` is
    the account of a role given by ARN (None for a bare name, which means the deploying account).
    """

    name: str
    role_name: str
    grants: tuple[Grant, ...]
    role_arn: str | None = None

    @property
    def role_account(self) -> str | None:
        match = ROLE_ARN.fullmatch(self.role_arn) if self.role_arn else None
        return match["account"] if match else None

    @property
    def role_partition(self) -> str | None:
        match = ROLE_ARN.fullmatch(self.role_arn) if self.role_arn else None
        return match["partition"] if match else None

    def environment(self) -> dict[str, str]:
        """Environment variable names to the physical names of the tables this consumer may use."""
        return {grant.plan.spec.env_var: grant.plan.name for grant in self.grants}

    def levels(self) -> dict[str, tuple[AccessLevel, ...]]:
        """Each table's access kinds, in the order AccessLevel lists them."""
        found: dict[str, set[AccessLevel]] = {}
        for grant in self.grants:
            found.setdefault(grant.plan.name, set()).add(grant.level)
        return {table: tuple(level for level in AccessLevel if level in kinds) for table, kinds in found.items()}


def levels_text(levels: Sequence[AccessLevel]) -> str:
    """`read`, or `read+stream` for a table granted two kinds."""
    return "+".join(level.value for level in levels)


def role_name_of(role: str) -> str | None:
    """The role's name from an ARN or a bare name; None if it is neither."""
    match = ROLE_ARN.fullmatch(role)
    if match:
        return match["name"]
    return role if ROLE_NAME.fullmatch(role) else None


ALLOWED_ACCOUNTS_KEY = "aws:allowedAccountIds"


def allowed_accounts(raw_config: Mapping[str, str]) -> tuple[str, ...] | None:
    """The accounts the stack may deploy to (the AWS provider's `allowedAccountIds`), if it names them.

    With them set, the provider refuses to run in any other account, so a role ARN can be checked
    against them before anything runs.
    """
    value = raw_config.get(ALLOWED_ACCOUNTS_KEY)
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        parsed = [value]
    return tuple(str(account) for account in (parsed if isinstance(parsed, list) else [parsed]))


def check_role_account(stack: str, consumer: ConsumerPlan, accounts: Sequence[str],
                       partition: str | None = None) -> None:
    """Refuse a role ARN in another account (or partition) than the one the stack deploys to.

    The grant is an inline policy on the role (iam:PutRolePolicy), which names a role of the deploying
    account only: the ARN's account cannot be kept, and dropping it would attach the policy to a role of
    the same name in the wrong account. Another account's role needs a table resource policy instead.
    """
    if consumer.role_arn is None:
        return
    if consumer.role_account not in accounts or (partition is not None and consumer.role_partition != partition):
        where = f"partition {partition}, " if partition is not None else ""
        raise config_error(stack, f"consumers.{consumer.name}.role", consumer.role_arn,
                           f"a role in the account this stack deploys to ({where}account "
                           f"{', '.join(accounts)}): an inline policy can only be attached to a role there; "
                           "grant another account's role through a table resource policy")


def _levels(stack: str, key: str, value: Any) -> list[AccessLevel]:
    values = value if isinstance(value, list) else [value]
    known = [level.value for level in AccessLevel]
    if not values or any(v not in known for v in values) or len(set(values)) != len(values):
        raise config_error(stack, key, value, LEVELS_RULE)
    return [AccessLevel(v) for v in values]


def plan_access(stack: str, where: str, name: str, access: Any, plans: Sequence[TablePlan]) -> tuple[Grant, ...]:
    """A consumer's `access` map checked against the stack's tables: one Grant per table and access kind."""
    families = {plan.family for plan in plans}
    if not isinstance(access, dict) or not access:
        raise config_error(stack, f"{where}.access", access, "a map of <family> or <family>.<table> to "
                                                             f"{', '.join(level.value for level in AccessLevel)}")
    grants: dict[tuple[str, AccessLevel], Grant] = {}
    for target, value in access.items():
        key = f"{where}.access.{target}"
        levels = _levels(stack, key, value)
        family, _, table = str(target).partition(".")
        if family not in families:
            raise config_error(stack, key, value, f"a family this stack deploys: {', '.join(sorted(families))}")
        targets = [p for p in plans if p.family == family and (not table or p.spec.key == table)]
        if not targets:
            keys = ", ".join(p.spec.key for p in plans if p.family == family)
            raise config_error(stack, key, value, f"a table of {family}: {keys}")
        for level in levels:
            for plan in targets:
                if level is AccessLevel.STREAM and plan.spec.stream is None:
                    if not table:
                        continue  # a family-wide stream grant covers the family's tables that have one
                    raise config_error(stack, key, value, f"a table with a stream; '{plan.spec.key}' has none, "
                                                          f"so consumer '{name}' cannot read one")
                grants[(plan.name, level)] = Grant(plan, level)
            if level is AccessLevel.STREAM and not any(p.spec.stream for p in targets):
                raise config_error(stack, key, value, f"a family with a stream; no table of {family} has one")
    return tuple(grants.values())


def plan_consumers(stack: str, consumers: Mapping[str, Any], plans: Sequence[TablePlan],
                   accounts: Sequence[str] | None = None) -> list[ConsumerPlan]:
    """Check the `consumers` config against the stack's tables, and role ARNs against `accounts` (the
    stack's `aws:allowedAccountIds`) where it names them. Raises ModelError on the first problem."""
    found: list[ConsumerPlan] = []
    for name, body in consumers.items():
        where = f"consumers.{name}"
        if not CONSUMER_NAME.fullmatch(name):
            raise config_error(stack, where, body, "a consumer name of lower-case letters, digits and hyphens, "
                                                   "starting with a letter, up to 48 characters")
        if not isinstance(body, dict) or set(body) - {"role", "access"} or "role" not in body or "access" not in body:
            raise config_error(stack, where, body, "a map with keys role and access")
        role = body["role"]
        role_name = role_name_of(role) if isinstance(role, str) else None
        if role_name is None:
            raise config_error(stack, f"{where}.role", role, ROLE_RULE)
        grants = plan_access(stack, where, name, body["access"], plans)
        consumer = ConsumerPlan(name=name, role_name=role_name, grants=grants,
                                role_arn=role if ROLE_ARN.fullmatch(role) else None)
        if accounts is not None:
            check_role_account(stack, consumer, accounts)
        found.append(consumer)
    return found


def table_arn(partition: str, region: str, account: str, table: str) -> str:
    return f"arn:{partition}:dynamodb:{region}:{account}:table/{table}"


def policy_document(consumer: ConsumerPlan, partition: str, region: str, account: str) -> dict[str, Any]:
    """The consumer's IAM policy: one statement per kind of access, on exactly its tables and keys."""
    read: list[str] = []
    write: list[str] = []
    stream: list[str] = []
    kms_read: list[str] = []
    kms_write: list[str] = []
    for grant in consumer.grants:
        arn = table_arn(partition, region, account, grant.plan.name)
        key = grant.plan.settings.kms_key_arn
        if grant.level in (AccessLevel.READ, AccessLevel.READ_WRITE):
            read += [arn, f"{arn}/index/*"]
        if grant.level in (AccessLevel.WRITE, AccessLevel.READ_WRITE):
            write.append(arn)
        if grant.level is AccessLevel.STREAM:
            stream.append(f"{arn}/stream/*")
        # With a customer-managed key, reading (a stream too) needs Decrypt; writing needs Encrypt as well.
        if key is not None:
            kms_read.append(key)
            if grant.level in (AccessLevel.WRITE, AccessLevel.READ_WRITE):
                kms_write.append(key)
    statements = []
    for sid, actions, resources in (("ReadTables", READ_ACTIONS, read), ("WriteTables", WRITE_ACTIONS, write),
                                    ("ReadStreams", STREAM_ACTIONS, stream),
                                    ("DecryptWithTableKeys", KMS_READ_ACTIONS, kms_read),
                                    ("EncryptWithTableKeys", KMS_WRITE_ACTIONS, kms_write)):
        if resources:
            statements.append({"Sid": sid, "Effect": "Allow", "Action": list(actions),
                               "Resource": sorted(dict.fromkeys(resources))})
    if not statements:
        raise ModelError(f"consumer '{consumer.name}': no access to grant")
    return {"Version": "2012-10-17", "Statement": statements}
