"""Stack policies on what lets a table be recovered and noticed: a backup selection and throttle alarms.

`dynamodb-table-in-backup-plan` is Security Hub's DynamoDB.4 ("DynamoDB tables should be present in
a backup plan"), checked before deploying. During a preview a new table's ARN is not known yet, so a
selection also covers a table whose resource its `resources` input depends on (the engine passes
each input's dependencies to the pack), as well as tables matched by a wildcard ARN or by tag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from components.model.alarms import THROTTLE_METRICS
from components.model.stack_settings import is_production
from policies.dynamodb.tables import TABLE_TYPE, UNKNOWN, UNSET, read

SELECTION_TYPE = "aws:backup/selection:Selection"
ALARM_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm"
RESOURCE_TAG = "aws:ResourceTag/"


def _items(value: Any) -> list[Any]:
    """A list input's elements, each UNKNOWN where not known yet; [] for an unset or unknown list."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    items: list[Any] = []
    for index in range(len(value)):
        try:
            items.append(value[index])
        except UnknownValueError:
            items.append(UNKNOWN)
    return items


@dataclass
class _Table:
    resource: PolicyResource
    name: Any
    arn: Any
    tags: Mapping[str, Any]


def _table(resource: PolicyResource) -> _Table:
    tags = read(resource.props, "tags")
    known_tags: dict[str, Any] = {}
    if isinstance(tags, Mapping):
        for key in list(tags):
            try:
                known_tags[key] = tags[key]
            except UnknownValueError:
                known_tags[key] = UNKNOWN
    return _Table(resource, read(resource.props, "name"), read(resource.props, "arn"), known_tags)


def _arn_matches(pattern: Any, table: _Table) -> bool:
    """Whether one ARN of a selection's resources (AWS Backup allows `*` wildcards) names the table."""
    if not isinstance(pattern, str):
        return False
    if pattern == "*":
        return True
    if isinstance(table.arn, str):
        return fnmatchcase(table.arn, pattern)
    # The table's ARN is not known yet (a preview): its name still is, and the region and account are
    # this stack's own.
    _, marker, name_pattern = pattern.partition(":dynamodb:")
    _, table_marker, name_pattern = name_pattern.partition(":table/")
    return bool(marker and table_marker and isinstance(table.name, str) and fnmatchcase(table.name, name_pattern))


def _named(selection: PolicyResource, key: str, table: _Table) -> bool:
    """The selection names the table in `key` (resources or notResources): by ARN, or by depending on it."""
    if any(_arn_matches(item, table) for item in _items(read(selection.props, key))):
        return True
    return any(dependency.urn == table.resource.urn for dependency in selection.property_dependencies.get(key, []))


def _tagged(selection: PolicyResource, table: _Table) -> bool:
    for tag in _items(read(selection.props, "selectionTags")):
        if not isinstance(tag, Mapping):
            continue
        kind, key, value = read(tag, "type"), read(tag, "key"), read(tag, "value")
        if kind == "STRINGEQUALS" and isinstance(key, str) and table.tags.get(key) == value:
            return True
    return False


def _conditions_hold(selection: PolicyResource, table: _Table) -> bool:
    """AWS Backup's `conditions`: every one must hold for the table's tags (they narrow a selection)."""
    tests = {"stringEquals": lambda tag, value: tag == value,
             "stringNotEquals": lambda tag, value: tag != value,
             "stringLikes": lambda tag, value: isinstance(tag, str) and fnmatchcase(tag, value),
             "stringNotLikes": lambda tag, value: not (isinstance(tag, str) and fnmatchcase(tag, value))}
    for condition in _items(read(selection.props, "conditions")):
        if not isinstance(condition, Mapping):
            return False
        for field_name, test in tests.items():
            for entry in _items(read(condition, field_name)):
                key, value = (read(entry, "key"), read(entry, "value")) if isinstance(entry, Mapping) else (
                    UNSET, UNSET)
                if not isinstance(key, str) or not isinstance(value, str):
                    return False  # unknown or malformed: it cannot be confirmed to select the table
                tag = table.tags.get(key.removeprefix(RESOURCE_TAG)) if key.startswith(RESOURCE_TAG) else UNSET
                if tag is UNKNOWN or not test(tag, value):
                    return False
    return True


def covers(selection: PolicyResource, table: _Table) -> bool:
    if _named(selection, "notResources", table):
        return False
    return (_named(selection, "resources", table) or _tagged(selection, table)) and _conditions_hold(selection, table)


def _table_in_backup_plan(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    selections = [r for r in args.resources if r.resource_type == SELECTION_TYPE]
    for resource in args.resources:
        if resource.resource_type != TABLE_TYPE:
            continue
        table = _table(resource)
        if any(covers(selection, table) for selection in selections):
            continue
        label = f"table '{table.name}'" if isinstance(table.name, str) else "a table whose name is unknown"
        report_violation(f"{label} is in no AWS Backup selection of this stack; turn on dynamodb-tables:backup "
                         "(it selects every table of the stack by ARN), or select the table by tag.", resource.urn)


dynamodb_table_in_backup_plan = StackValidationPolicy(
    name="dynamodb-table-in-backup-plan",
    description="Checks whether every DynamoDB table in the stack is covered by an AWS Backup selection of the same "
                "stack, by ARN or by tag (Security Hub DynamoDB.4).",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_table_in_backup_plan,
)


def _alarmed_metrics(alarm: PolicyResource) -> set[tuple[str, str]]:
    """(metric, table name) for each table-level DynamoDB metric the alarm watches, directly or in a query."""
    metrics: list[tuple[Any, Any]] = [(read(alarm.props, "metricName"), read(alarm.props, "dimensions"))]
    for query in _items(read(alarm.props, "metricQueries")):
        if isinstance(query, Mapping):
            metrics.append((read(query, "metric", "metricName"), read(query, "metric", "dimensions")))
    found = set()
    for metric, dimensions in metrics:
        if not isinstance(metric, str) or not isinstance(dimensions, Mapping):
            continue
        table = read(dimensions, "TableName")
        # An index's alarm watches the index's throttles, which its table's metric does not count.
        if isinstance(table, str) and read(dimensions, "GlobalSecondaryIndexName") is UNSET:
            found.add((metric, table))
    return found


def _throttle_alarms_present(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    environment = str(args.get_config().get("environment") or "")
    if not is_production(environment):
        args.not_applicable(f"environment {environment or '(none configured)'} is not a production environment")
    alarmed: set[tuple[str, str]] = set()
    for resource in args.resources:
        if resource.resource_type == ALARM_TYPE:
            alarmed |= _alarmed_metrics(resource)
    for resource in args.resources:
        if resource.resource_type != TABLE_TYPE:
            continue
        name = read(resource.props, "name")
        if not isinstance(name, str):
            report_violation("a prod table's name is unknown during preview, so its throttle alarms cannot be "
                             "matched.", resource.urn)
            continue
        missing = [metric for metric in THROTTLE_METRICS if (metric, name) not in alarmed]
        if missing:
            report_violation(f"prod table '{name}' has no CloudWatch alarm on {' or '.join(missing)} "
                             f"(dimension TableName={name}); turn on dynamodb-tables:alarms.", resource.urn)


dynamodb_table_throttle_alarms_present = StackValidationPolicy(
    name="dynamodb-table-throttle-alarms-present",
    description="Checks whether every DynamoDB table in a prod stack has CloudWatch alarms on its read and write "
                "throttle events.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_throttle_alarms_present,
    config_schema=PolicyConfigSchema(properties={"environment": {"type": "string", "default": ""}}),
)

RECOVERY_POLICIES = [dynamodb_table_in_backup_plan, dynamodb_table_throttle_alarms_present]
