"""Add one global secondary index to a live table and wait until it is ACTIVE.

DynamoDB builds (or deletes) one online index per table at a time, and rejects a second with
LimitExceededException; this checks first and refuses with a clear message instead. Waiting is a
botocore waiter on DescribeTable; a hook on the waiter's own DescribeTable calls feeds the
progress display, so there is no hand-written polling loop.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, WaiterError
from botocore.waiter import WaiterModel, create_waiter_with_client

from components.table_spec import MAX_GSIS, MAX_KEY_ATTRIBUTES_PER_ROLE, NAME_PATTERN, NAME_RULE, Key
from scripts.aws import error_code
from scripts.errors import ToolError

BUSY_STATES = ("CREATING", "DELETING", "UPDATING")
KEY_PATTERN = re.compile(r"^(?P<name>[^:\s]{1,255}):(?P<type>[SNB])$")

ProgressCallback = Callable[[str, bool | None, int], None]  # status, backfilling, elapsed seconds


@dataclass(frozen=True)
class IndexRequest:
    table: str
    name: str
    partition: tuple[Key, ...]
    sort: tuple[Key, ...] = ()
    projection: str = "ALL"
    non_key_attributes: tuple[str, ...] = ()

    def key_schema(self) -> list[dict[str, str]]:
        return ([{"AttributeName": k.name, "KeyType": "HASH"} for k in self.partition]
                + [{"AttributeName": k.name, "KeyType": "RANGE"} for k in self.sort])

    def projection_spec(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"ProjectionType": self.projection}
        if self.non_key_attributes:
            spec["NonKeyAttributes"] = list(self.non_key_attributes)
        return spec


def parse_key(text: str, option: str) -> Key:
    match = KEY_PATTERN.match(text)
    if not match:
        raise ToolError("InvalidArgument", f"{option} {text!r}: expected NAME:TYPE with TYPE one of S, N, B")
    return Key(match["name"], match["type"])  # type: ignore[arg-type]


def validate_request(request: IndexRequest) -> None:
    if not NAME_PATTERN.match(request.name):
        raise ToolError("InvalidArgument", f"--index-name {request.name!r}: must be {NAME_RULE}")
    for option, keys in (("--partition-key", request.partition), ("--sort-key", request.sort)):
        if len(keys) > MAX_KEY_ATTRIBUTES_PER_ROLE:
            raise ToolError("InvalidArgument", f"{option}: {len(keys)} given; at most {MAX_KEY_ATTRIBUTES_PER_ROLE}")
    if request.projection == "INCLUDE" and not request.non_key_attributes:
        raise ToolError("InvalidArgument", "--projection INCLUDE needs --non-key-attributes")
    if request.projection != "INCLUDE" and request.non_key_attributes:
        raise ToolError("InvalidArgument", f"--non-key-attributes needs --projection INCLUDE "
                                           f"(given {request.projection})")


def _same_definition(existing: dict[str, Any], request: IndexRequest, types: dict[str, str]) -> bool:
    projection = existing.get("Projection", {})
    return (existing["KeySchema"] == request.key_schema()
            and all(types.get(k.name) == k.type for k in (*request.partition, *request.sort))
            and projection.get("ProjectionType") == request.projection
            and sorted(projection.get("NonKeyAttributes", [])) == sorted(request.non_key_attributes))


def _describe(client: Any, table: str) -> dict[str, Any]:
    try:
        return dict(client.describe_table(TableName=table)["Table"])
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            raise ToolError("TableNotFound", f"table '{table}' does not exist at {client.meta.endpoint_url}") from None
        raise


def _index_waiter(client: Any, index_name: str) -> Any:
    status = f"Table.GlobalSecondaryIndexes[?IndexName=='{index_name}'].IndexStatus | [0]"
    model = WaiterModel({"version": 2, "waiters": {"IndexActive": {
        "operation": "DescribeTable", "delay": 5, "maxAttempts": 120,
        "acceptors": [
            {"matcher": "path", "argument": status, "expected": "ACTIVE", "state": "success"},
            {"matcher": "path", "argument": status, "expected": "DELETING", "state": "failure"},
            {"matcher": "error", "expected": "ResourceNotFoundException", "state": "failure"},
        ],
    }}})
    return create_waiter_with_client("IndexActive", model, client)


def wait_for_index(client: Any, table: str, index_name: str, timeout: float, poll_interval: float,
                   progress: ProgressCallback | None = None) -> None:
    started = time.monotonic()
    last = {"status": "CREATING"}

    def observe(parsed: dict[str, Any], **_: Any) -> None:
        for index in parsed.get("Table", {}).get("GlobalSecondaryIndexes", []) or []:
            if index["IndexName"] == index_name:
                last["status"] = index["IndexStatus"]
                if progress is not None:
                    progress(index["IndexStatus"], index.get("Backfilling"), int(time.monotonic() - started))

    client.meta.events.register("after-call.dynamodb.DescribeTable", observe)
    try:
        _index_waiter(client, index_name).wait(TableName=table, WaiterConfig={
            "Delay": poll_interval, "MaxAttempts": max(1, math.ceil(timeout / poll_interval))})
    except WaiterError as error:
        if "Max attempts exceeded" in str(error):
            raise ToolError("Timeout", f"index '{index_name}' on table '{table}' is still {last['status']} after "
                                       f"{timeout:g}s; DynamoDB goes on building it: run the same add-gsi again "
                                       "to keep waiting") from None
        raise ToolError("IndexFailed", f"index '{index_name}' on table '{table}': {error}") from None
    finally:
        client.meta.events.unregister("after-call.dynamodb.DescribeTable", observe)


def add_gsi(client: Any, request: IndexRequest, timeout: float, poll_interval: float,
            progress: ProgressCallback | None = None) -> str:
    """Returns "created" or "present"; raises ToolError for anything it refuses."""
    validate_request(request)
    table = _describe(client, request.table)
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes") or []}

    existing = indexes.get(request.name)
    if existing is not None:
        if not _same_definition(existing, request, types):
            raise ToolError("IndexConflict", f"table '{request.table}' already has an index '{request.name}' with a "
                                             "different definition; choose another name or remove it first")
        if existing["IndexStatus"] != "ACTIVE":
            wait_for_index(client, request.table, request.name, timeout, poll_interval, progress)
        return "present"

    busy = [(name, i["IndexStatus"]) for name, i in indexes.items() if i["IndexStatus"] in BUSY_STATES]
    if busy:
        name, status = busy[0]
        raise ToolError("IndexBusy", f"table '{request.table}': index '{name}' is {status}; DynamoDB builds or "
                                     "deletes one index at a time. Wait until it finishes, then run add-gsi again")
    if table["TableStatus"] != "ACTIVE":
        raise ToolError("TableBusy", f"table '{request.table}' is {table['TableStatus']}; wait until it is ACTIVE")
    if len(indexes) >= MAX_GSIS:
        raise ToolError("IndexLimit", f"table '{request.table}' already has {len(indexes)} GSIs; at most {MAX_GSIS}")
    for key in (*request.partition, *request.sort):
        if key.name in types and types[key.name] != key.type:
            raise ToolError("InvalidArgument", f"attribute '{key.name}' is {types[key.name]} on table "
                                               f"'{request.table}'; the index declares it {key.type}")

    create: dict[str, Any] = {"IndexName": request.name, "KeySchema": request.key_schema(),
                              "Projection": request.projection_spec()}
    if (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED") == "PROVISIONED":
        throughput = table["ProvisionedThroughput"]
        create["ProvisionedThroughput"] = {"ReadCapacityUnits": throughput["ReadCapacityUnits"],
                                           "WriteCapacityUnits": throughput["WriteCapacityUnits"]}
    # The table's definitions plus the new ones: DynamoDB merges, but some emulators replace them.
    definitions = {**types, **{k.name: k.type for k in (*request.partition, *request.sort)}}
    try:
        client.update_table(
            TableName=request.table,
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in definitions.items()],
            GlobalSecondaryIndexUpdates=[{"Create": create}],
        )
    except ClientError as error:
        if error_code(error) == "LimitExceededException":
            raise ToolError("IndexBusy", f"table '{request.table}': another index started building meanwhile; "
                                         "DynamoDB builds one at a time. Run add-gsi again when it is ACTIVE") from None
        raise
    wait_for_index(client, request.table, request.name, timeout, poll_interval, progress)
    return "created"
