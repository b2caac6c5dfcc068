"""The CloudWatch alarms a stack declares for its tables: which metric, which dimensions, what name.

Throttles: DynamoDB reports `ReadThrottleEvents` and `WriteThrottleEvents` per table (dimension
`TableName`) and, separately, per global secondary index (`TableName` and `GlobalSecondaryIndexName`):
a table's metric does not include its indexes' throttles, so each index gets alarms of its own.

System errors: DynamoDB reports `SystemErrors` only per table AND operation (`TableName`,
`Operation`); there is no table-wide series, so an alarm on `TableName` alone would never get data.
The alarm sums the operations' series with metric math. An alarm's metric math may read at most 10
metrics, and DynamoDB has 14 data-plane operations, so each table gets two: one over the reads and
one over the writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from components.model.alarm_settings import AlarmSettings
from components.model.plan import TablePlan

NAMESPACE = "AWS/DynamoDB"
READ_THROTTLES = "ReadThrottleEvents"
WRITE_THROTTLES = "WriteThrottleEvents"
SYSTEM_ERRORS = "SystemErrors"
THROTTLE_METRICS = (READ_THROTTLES, WRITE_THROTTLES)
# The values of the `Operation` dimension (aws-cdk's dynamodb.Operation), by what they do. PartiQL's
# ExecuteStatement reads or writes; it is counted with the reads.
READ_OPERATIONS = ("GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "GetRecords", "ExecuteStatement")
WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems",
                    "ExecuteTransaction", "BatchExecuteStatement")
MAX_ALARM_METRICS = 10  # CloudWatch's hard limit on the metrics one metric-math alarm reads
STATISTIC = "Sum"


@dataclass(frozen=True)
class AlarmPlan:
    """One alarm. `operations` set: a metric-math sum of `metric` over those operations."""

    logical_name: str
    alarm_name: str
    description: str
    metric: str
    dimensions: dict[str, str]
    threshold: int
    operations: tuple[str, ...] = field(default=())


def _throttle_alarms(plan: TablePlan, threshold: int, index: str | None) -> list[AlarmPlan]:
    dimensions = {"TableName": plan.name}
    prefix, subject = plan.name, f"table {plan.name}"
    logical = plan.resource_name
    if index is not None:
        dimensions["GlobalSecondaryIndexName"] = index
        prefix, subject, logical = f"{plan.name}-{index}", f"index {index} of table {plan.name}", f"{logical}-{index}"
    return [
        AlarmPlan(
            logical_name=f"{logical}-{kind}-throttles",
            alarm_name=f"{prefix}-{kind}-throttles",
            description=f"{kind.capitalize()} requests throttled on {subject} ({metric} >= {threshold} per period)",
            metric=metric, dimensions=dict(dimensions), threshold=threshold,
        )
        for kind, metric in (("read", READ_THROTTLES), ("write", WRITE_THROTTLES))
    ]


def table_alarms(plan: TablePlan, settings: AlarmSettings) -> list[AlarmPlan]:
    """Every alarm for one table: throttles on the table and on each GSI, and system errors."""
    alarms = _throttle_alarms(plan, settings.throttled_requests, None)
    for index in plan.spec.global_indexes:
        alarms += _throttle_alarms(plan, settings.throttled_requests, index.name)
    for kind, operations in (("read", READ_OPERATIONS), ("write", WRITE_OPERATIONS)):
        alarms.append(AlarmPlan(
            logical_name=f"{plan.resource_name}-{kind}-system-errors",
            alarm_name=f"{plan.name}-{kind}-system-errors",
            description=(f"DynamoDB failed {kind} requests with a server error (HTTP 500) on table {plan.name} "
                         f"({SYSTEM_ERRORS} of {', '.join(operations)} >= {settings.system_errors} per period)"),
            metric=SYSTEM_ERRORS, dimensions={"TableName": plan.name}, threshold=settings.system_errors,
            operations=operations,
        ))
    return alarms
