"""The consumers' grants against their access patterns: what each service runs, it must be allowed to run.

A pattern names the consumer service that runs it. In a stack that configures consumers
(`dynamodb-tables:consumers`), each pattern on a deployed table needs its consumer declared, granted
reads for a read and writes for a write, and, for a read of an index, an IAM policy whose read
statement covers that index's ARN. A missing grant is a ModelError: the service would fail with
AccessDenied in production. A grant wider than the patterns (writes nobody declared) is advice, shown
by `tables access`.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from components.model.access import AccessLevel, ConsumerPlan, levels_text, policy_document, table_arn
from components.model.patterns import AccessPattern
from components.model.plan import TablePlan
from components.model.spec import ModelError

READS = (AccessLevel.READ, AccessLevel.READ_WRITE)
WRITES = (AccessLevel.WRITE, AccessLevel.READ_WRITE)
# Any partition, region and account: the check compares resource shapes, not an account's ARNs.
PARTITION, REGION, ACCOUNT = "aws", "us-east-1", "111122223333"


@dataclass(frozen=True)
class PlannedPattern:
    """A pattern on a table this stack deploys, with that table's plan."""

    family: str
    pattern: AccessPattern
    plan: TablePlan


def planned_patterns(plans: Sequence[TablePlan], patterns_by_family: Mapping[str, Sequence[AccessPattern]]
                     ) -> list[PlannedPattern]:
    found = []
    for plan in plans:
        for pattern in patterns_by_family.get(plan.family, ()):
            if pattern.table.key == plan.spec.key:
                found.append(PlannedPattern(plan.family, pattern, plan))
    return found


def _covers(document: dict[str, object], action: str, arn: str) -> bool:
    statements = document.get("Statement", [])
    assert isinstance(statements, list)
    for statement in statements:
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if statement.get("Effect") == "Allow" and action in actions and any(fnmatch.fnmatchcase(arn, r)
                                                                           for r in resources):
            return True
    return False


def check_pattern_grants(stack: str, consumers: Sequence[ConsumerPlan], planned: Iterable[PlannedPattern]) -> None:
    """Raise ModelError for the first pattern its consumer's grants do not allow."""
    by_name = {consumer.name: consumer for consumer in consumers}
    for item in planned:
        pattern, plan = item.pattern, item.plan
        where = f"stack '{stack}', family '{item.family}', table '{plan.spec.key}', access pattern '{pattern.name}'"
        consumer = by_name.get(pattern.consumer)
        if consumer is None:
            raise ModelError(f"{where}: consumer '{pattern.consumer}' runs it, but dynamodb-tables:consumers does "
                             f"not declare it; declare it with access to {item.family}.{plan.spec.key}")
        levels = consumer.levels().get(plan.name, ())
        needed, allowed = ("write", WRITES) if pattern.writes else ("read", READS)
        if not any(level in allowed for level in levels):
            given = f"granted {levels_text(levels)}" if levels else "granted nothing"
            raise ModelError(f"{where}: {pattern.operation.value} needs {needed} access, but consumer "
                             f"'{consumer.name}' is {given} on {plan.name}; grant {needed} or read-write in "
                             f"dynamodb-tables:consumers.{consumer.name}.access")
        if pattern.index is not None:
            arn = f"{table_arn(PARTITION, REGION, ACCOUNT, plan.name)}/index/{pattern.index}"
            document = policy_document(consumer, PARTITION, REGION, ACCOUNT)
            action = f"dynamodb:{pattern.operation.value}"
            if not _covers(document, action, arn):
                raise ModelError(f"{where}: the policy of consumer '{consumer.name}' does not allow {action} on index "
                                 f"{pattern.index} of {plan.name}")


def wider_than_patterns(consumers: Sequence[ConsumerPlan], planned: Sequence[PlannedPattern]) -> list[str]:
    """Grants no declared pattern uses: writes granted to a consumer whose patterns on that table only read,
    reads granted to one that only writes. Tables without any pattern of the consumer are not judged."""
    notes = []
    for consumer in consumers:
        for grant in consumer.grants:
            mine = [p.pattern for p in planned
                    if p.pattern.consumer == consumer.name and p.plan.name == grant.plan.name]
            if not mine:
                continue
            if grant.level in WRITES and not any(p.writes for p in mine):
                notes.append(f"{consumer.name} may write {grant.plan.name}, but its patterns there only read: "
                             "grant read")
            if grant.level in READS and all(p.writes for p in mine):
                notes.append(f"{consumer.name} may read {grant.plan.name}, but its patterns there only write: "
                             "grant write")
    return notes
