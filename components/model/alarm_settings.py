"""The stack's CloudWatch alarms: what `dynamodb-tables:alarms` may say, parsed and checked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from components.model.config_reader import MISSING, ConfigReader

# CloudWatch alarm actions notify standard SNS topics (not FIFO ones).
SNS_TOPIC_ARN_PATTERN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}")
SNS_TOPIC_ARN_RULE = "an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)"
ALARM_KEYS = ["enabled", "snsTopicArn", "throttledRequests", "systemErrors", "periodSeconds", "evaluationPeriods"]
# CloudWatch evaluates at most one day of periods for an alarm.
ALARM_MAX_EVALUATION_SECONDS = 86400


@dataclass(frozen=True)
class AlarmSettings:
    """CloudWatch alarms on every table's throttles and system errors, notifying one SNS topic."""

    sns_topic_arn: str
    throttled_requests: int = 10
    system_errors: int = 1
    period_seconds: int = 300
    evaluation_periods: int = 1



def parse_alarms(read: ConfigReader, value: Any) -> AlarmSettings | None:
    body = read.mapping("alarms", value, ALARM_KEYS)
    enabled = read.boolean("alarms.enabled", body.get("enabled", False))
    if not enabled and set(body) <= {"enabled"}:
        return None  # as with backup: switched-off settings are still checked
    if "snsTopicArn" not in body:
        raise read.fail("alarms.snsTopicArn", MISSING, "a value; this key is required for alarms")
    defaults = AlarmSettings(sns_topic_arn="")
    period = read.whole("alarms.periodSeconds", body.get("periodSeconds", defaults.period_seconds), 60, "seconds",
                        ALARM_MAX_EVALUATION_SECONDS)
    if period % 60:
        raise read.fail("alarms.periodSeconds", period, "a multiple of 60 seconds (DynamoDB reports per minute)")
    evaluations = read.whole("alarms.evaluationPeriods", body.get("evaluationPeriods", defaults.evaluation_periods),
                             1, "periods")
    if period * evaluations > ALARM_MAX_EVALUATION_SECONDS:
        raise read.fail("alarms.evaluationPeriods", evaluations,
                        f"at most {ALARM_MAX_EVALUATION_SECONDS // period} periods of {period} seconds (CloudWatch "
                        f"evaluates at most {ALARM_MAX_EVALUATION_SECONDS} seconds)")
    settings = AlarmSettings(
        sns_topic_arn=read.string("alarms.snsTopicArn", body["snsTopicArn"], SNS_TOPIC_ARN_PATTERN,
                                  SNS_TOPIC_ARN_RULE),
        throttled_requests=read.whole("alarms.throttledRequests",
                                      body.get("throttledRequests", defaults.throttled_requests), 1, "events"),
        system_errors=read.whole("alarms.systemErrors", body.get("systemErrors", defaults.system_errors), 1,
                                 "errors"),
        period_seconds=period,
        evaluation_periods=evaluations,
    )
    return settings if enabled else None
