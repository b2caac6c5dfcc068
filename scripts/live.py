"""Read a live table (describe, TTL, continuous backups, tags) into a TableSchema.

DynamoDB Local answers PITR and tagging calls with UnknownOperationException and reports no SSE
description. Those features are recorded as unsupported by the endpoint instead of failing, so
`create`, `drift` and `export` work against it and say what they could not check.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from components.model.spec import MIN_WARM_READ_UNITS, MIN_WARM_WRITE_UNITS
from scripts.aws import DynamoDBClient, error_code, find_table
from scripts.schema_files import TableSchema
from scripts.table_settings import copied_entries

logger = logging.getLogger(__name__)

UNSUPPORTED_CODES = {"UnknownOperationException"}
WARM_DEFAULTS = {"ReadUnitsPerSecond": MIN_WARM_READ_UNITS, "WriteUnitsPerSecond": MIN_WARM_WRITE_UNITS}


@dataclass
class LiveTable:
    schema: TableSchema
    status: str
    item_count: int
    size_bytes: int
    index_status: dict[str, str]
    arn: str
    unsupported: set[str] = field(default_factory=set)
    # Settings the endpoint does not report at all; unsupported where the model declares them (scripts/drift.py).
    unreported: set[str] = field(default_factory=set)

    @property
    def gsi_count(self) -> int:
        return len(self.schema.create.get("GlobalSecondaryIndexes") or [])


def is_unsupported(error: ClientError) -> bool:
    return error_code(error) in UNSUPPORTED_CODES


def _indexes(descriptions: Sequence[Mapping[str, Any]] | None, keep_throughput: bool) -> list[dict[str, Any]]:
    indexes = []
    for index in descriptions or []:
        entry: dict[str, Any] = {"IndexName": index["IndexName"], "KeySchema": index["KeySchema"],
                                 "Projection": index["Projection"], **_guards(index)}
        throughput = index.get("ProvisionedThroughput") or {}
        if keep_throughput and throughput.get("ReadCapacityUnits"):
            entry["ProvisionedThroughput"] = {"ReadCapacityUnits": throughput["ReadCapacityUnits"],
                                              "WriteCapacityUnits": throughput["WriteCapacityUnits"]}
        indexes.append(entry)
    return sorted(indexes, key=lambda i: i["IndexName"])


def _guards(description: Mapping[str, Any]) -> dict[str, Any]:
    """OnDemandThroughput and WarmThroughput as DescribeTable reports them (moto reports only the warm
    throughput, DynamoDB Local only the on-demand maximum), without the warm throughput's Status."""
    shape: dict[str, Any] = {}
    if description.get("OnDemandThroughput"):
        shape["OnDemandThroughput"] = dict(description["OnDemandThroughput"])
    # What every table and index starts with is no setting of its own: left out, as a declared table leaves it.
    warm = {k: v for k, v in (description.get("WarmThroughput") or {}).items()
            if k != "Status" and v != WARM_DEFAULTS.get(k)}
    if warm:
        shape["WarmThroughput"] = warm
    return shape


def read_live(client: DynamoDBClient, table_name: str) -> LiveTable | None:
    """The live table, or None when it does not exist."""
    table = find_table(client, table_name)
    if table is None:
        return None
    unsupported: set[str] = set()
    billing = (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")
    create: dict[str, Any] = {
        "TableName": table["TableName"],
        "AttributeDefinitions": sorted(table["AttributeDefinitions"], key=lambda a: a["AttributeName"]),
        "KeySchema": table["KeySchema"],
        "BillingMode": billing,
    }
    if billing == "PROVISIONED":
        throughput = table.get("ProvisionedThroughput", {})
        create["ProvisionedThroughput"] = {"ReadCapacityUnits": throughput.get("ReadCapacityUnits", 0),
                                           "WriteCapacityUnits": throughput.get("WriteCapacityUnits", 0)}
    create.update(_guards(table))
    # AWS reports a warm throughput for every table and an on-demand maximum (-1: none) for every on-demand
    # one; an endpoint that reports neither does not implement it (DynamoDB Local the first, moto the second).
    unreported = set()
    if "WarmThroughput" not in table:
        unreported.add("warmThroughput")
    if billing == "PAY_PER_REQUEST" and "OnDemandThroughput" not in table:
        unreported.add("onDemandMaximum")
    gsis = _indexes(table.get("GlobalSecondaryIndexes"), billing == "PROVISIONED")
    lsis = _indexes(table.get("LocalSecondaryIndexes"), False)
    if gsis:
        create["GlobalSecondaryIndexes"] = gsis
    if lsis:
        create["LocalSecondaryIndexes"] = lsis
    create.update(copied_entries(table))  # stream, encryption, table class, deletion protection, ...
    sse = table.get("SSEDescription")

    tags: list[dict[str, str]] = []
    try:
        for page in client.get_paginator("list_tags_of_resource").paginate(ResourceArn=table["TableArn"]):
            tags += [{"Key": tag["Key"], "Value": tag["Value"]} for tag in page.get("Tags", [])]
    except ClientError as error:
        if not is_unsupported(error):
            raise
        unsupported.add("tags")
    create["Tags"] = sorted(tags, key=lambda t: t["Key"])

    ttl = client.describe_time_to_live(TableName=table_name).get("TimeToLiveDescription", {})
    ttl_attribute = ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") else None

    pitr_enabled, pitr_days = False, None
    try:
        backups = client.describe_continuous_backups(TableName=table_name)["ContinuousBackupsDescription"]
        pitr = backups.get("PointInTimeRecoveryDescription", {})
        pitr_enabled = pitr.get("PointInTimeRecoveryStatus") in ("ENABLED", "ENABLING")
        pitr_days = pitr.get("RecoveryPeriodInDays") if pitr_enabled else None
    except ClientError as error:
        if not is_unsupported(error):
            raise
        unsupported.add("pitr")
    if "pitr" in unsupported and not sse:
        # An emulator without PITR also ignores SSE; on AWS a missing SSEDescription is real.
        unsupported.add("encryption")

    return LiveTable(
        schema=TableSchema(create=create, ttl_attribute=ttl_attribute, pitr_enabled=pitr_enabled, pitr_days=pitr_days),
        status=table["TableStatus"],
        item_count=int(table.get("ItemCount", 0)),
        size_bytes=int(table.get("TableSizeBytes", 0)),
        index_status={i["IndexName"]: i["IndexStatus"] for i in table.get("GlobalSecondaryIndexes") or []},
        arn=table["TableArn"],
        unsupported=unsupported,
        unreported=unreported,
    )
