"""The stack's CloudWatch alarms as Pulumi resources, one `aws.cloudwatch.MetricAlarm` per `AlarmPlan`.

The alarms have a component of their own rather than joining their tables' family components, so
adding or removing alarms never changes a table's URN.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.model.alarm_settings import AlarmSettings
from components.model.alarms import NAMESPACE, STATISTIC, AlarmPlan, table_alarms
from components.model.plan import MANAGED_BY, TablePlan

ALARMS_TOKEN = "dynamodbTables:alarms:StackAlarms"
SUM_ID = "total"


def _operation_id(operation: str) -> str:
    # Metric query ids start with a lower-case letter and hold letters, digits and underscores.
    return operation.lower()


def _metric_queries(alarm: AlarmPlan, period: int) -> list[aws.cloudwatch.MetricAlarmMetricQueryArgs]:
    """The per-operation series of `alarm.metric` and their sum, the series the alarm watches."""
    queries = [
        aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=_operation_id(operation), return_data=False,
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=NAMESPACE, metric_name=alarm.metric, stat=STATISTIC, period=period,
                dimensions={**alarm.dimensions, "Operation": operation}))
        for operation in alarm.operations
    ]
    # SUM over an array adds, per point in time, the series that have data there.
    expression = f"SUM([{', '.join(_operation_id(o) for o in alarm.operations)}])"
    queries.append(aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=SUM_ID, expression=expression, label=f"{alarm.metric} ({len(alarm.operations)} operations)",
        return_data=True))
    return queries


def declare_alarm(alarm: AlarmPlan, settings: AlarmSettings, tags: dict[str, str],
                  parent: pulumi.Resource) -> aws.cloudwatch.MetricAlarm:
    # One metric: namespace, name, dimensions, statistic and period on the alarm itself; a sum over
    # operations: all of them inside the metric queries instead (CloudWatch takes one or the other).
    single = not alarm.operations
    return aws.cloudwatch.MetricAlarm(
        alarm.logical_name,
        name=alarm.alarm_name,
        alarm_description=alarm.description,
        namespace=NAMESPACE if single else None,
        metric_name=alarm.metric if single else None,
        dimensions=alarm.dimensions if single else None,
        statistic=STATISTIC if single else None,
        period=settings.period_seconds if single else None,
        metric_queries=None if single else _metric_queries(alarm, settings.period_seconds),
        comparison_operator="GreaterThanOrEqualToThreshold",
        threshold=alarm.threshold,
        evaluation_periods=settings.evaluation_periods,
        # DynamoDB sends these metrics only when they are not zero: no data means nothing went wrong.
        treat_missing_data="notBreaching",
        alarm_actions=[settings.sns_topic_arn],
        ok_actions=[settings.sns_topic_arn],
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )


class StackAlarms(pulumi.ComponentResource):
    """Throttle and system-error alarms for every table the stack declares, and each table's indexes."""

    alarms: dict[str, aws.cloudwatch.MetricAlarm]

    def __init__(self, settings: AlarmSettings, plans: Sequence[TablePlan],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(ALARMS_TOKEN, "alarms", None, opts)
        self.alarms = {}
        for plan in plans:
            tags = {"environment": plan.environment, "family": plan.family, "managed-by": MANAGED_BY}
            for alarm in table_alarms(plan, settings):
                self.alarms[alarm.alarm_name] = declare_alarm(alarm, settings, tags, parent=self)
        self.register_outputs({"alarmNames": sorted(self.alarms), "snsTopicArn": settings.sns_topic_arn})
