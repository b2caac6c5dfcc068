"""Add one global secondary index to a live table and wait until it is ACTIVE.

DynamoDB builds (or deletes) one online index per table at a time, and rejects a second with
LimitExceededException; this checks first and refuses with a clear message instead. Waiting is a
botocore waiter on DescribeTable; a hook on the waiter's own DescribeTable calls feeds the
progress display, so there is no hand-written polling loop.
"""

from __future__ import annotations

import math
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, WaiterError
from botocore.waiter import WaiterModel, create_waiter_with_client

from components.model.spec import (
    MAX_GSIS,
    MAX_KEY_ATTRIBUTES_PER_ROLE,
    NAME_PATTERN,
    NAME_RULE,
    GlobalIndex,
    Key,
    key_schema,
    projection,
    projection_problem,
)
from scripts.aws import DynamoDBClient, describe_table, error_code
from scripts.errors import ToolError

BUSY_STATES = ("CREATING", "DELETING", "UPDATING")
KEY_PATTERN = re.compile(r"(?P<name>[^:\s]{1,255}):(?P<type>[SNB])")

ProgressCallback = Callable[[str, bool | None, int], None]  # status, backfilling, elapsed seconds


@dataclass(frozen=True)
class IndexRequest:
    """One GSI for one live table: from the model (`--stack --table --index`) or from flags."""

    table: str
    index: GlobalIndex

    @property
    def name(self) -> str:
        return self.index.name


def parse_key(text: str, option: str) -> Key:
    match = KEY_PATTERN.fullmatch(text)
    if not match:
        raise ToolError("InvalidArgument", f"{option} {text!r}: expected NAME:TYPE with TYPE one of S, N, B")
    return Key(match["name"], match["type"])  # type: ignore[arg-type]


def validate_request(request: IndexRequest) -> None:
    """The model's rules for an index given by flags, each reported under the flag that broke it."""
    index = request.index
    if not NAME_PATTERN.fullmatch(index.name):
        raise ToolError("InvalidArgument", f"--index-name {index.name!r}: must be {NAME_RULE}")
    for option, keys in (("--partition-key", index.partition), ("--sort-key", index.sort)):
        if len(keys) > MAX_KEY_ATTRIBUTES_PER_ROLE:
            raise ToolError("InvalidArgument", f"{option}: {len(keys)} given; at most {MAX_KEY_ATTRIBUTES_PER_ROLE}")
    problem = projection_problem(index.projection, index.non_key_attributes)
    if problem is not None and index.non_key_attributes:
        raise ToolError("InvalidArgument", f"--non-key-attributes needs --projection INCLUDE "
                                           f"(given {index.projection.value})")
    if problem is not None:
        raise ToolError("InvalidArgument", "--projection INCLUDE needs --non-key-attributes")


def _same_definition(existing: dict[str, Any], index: GlobalIndex, types: dict[str, str]) -> bool:
    live_projection = existing.get("Projection", {})
    return (existing["KeySchema"] == key_schema(index.partition, index.sort)
            and all(types.get(k.name) == k.type for k in (*index.partition, *index.sort))
            and live_projection.get("ProjectionType") == index.projection.value
            and sorted(live_projection.get("NonKeyAttributes", [])) == sorted(index.non_key_attributes))


def _index_waiter(client: DynamoDBClient, index_name: str) -> Any:
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


def wait_for_index(client: DynamoDBClient, table: str, index_name: str, timeout: float, poll_interval: float,
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
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM while waiting: the index is DynamoDB's to finish now
        print(f"add-gsi stopped: index '{index_name}' on table '{table}' was {last['status']}; DynamoDB goes on "
              "building it: run the same add-gsi again to keep waiting", file=sys.stderr)
        raise
    finally:
        client.meta.events.unregister("after-call.dynamodb.DescribeTable", observe)


def add_gsi(client: DynamoDBClient, request: IndexRequest, timeout: float, poll_interval: float,
            progress: ProgressCallback | None = None) -> str:
    """Returns "created" or "present"; raises ToolError for anything it refuses."""
    validate_request(request)
    index = request.index
    table: dict[str, Any] = dict(describe_table(client, request.table))
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes") or []}

    existing = indexes.get(request.name)
    if existing is not None:
        if not _same_definition(existing, index, types):
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
    for key in (*index.partition, *index.sort):
        if key.name in types and types[key.name] != key.type:
            raise ToolError("InvalidArgument", f"attribute '{key.name}' is {types[key.name]} on table "
                                               f"'{request.table}'; the index declares it {key.type}")

    create: dict[str, Any] = {"IndexName": index.name, "KeySchema": key_schema(index.partition, index.sort),
                              "Projection": projection(index)}
    if (table.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED") == "PROVISIONED":
        throughput = table["ProvisionedThroughput"]
        create["ProvisionedThroughput"] = {"ReadCapacityUnits": throughput["ReadCapacityUnits"],
                                           "WriteCapacityUnits": throughput["WriteCapacityUnits"]}
    # The table's definitions plus the new ones: DynamoDB merges, but some emulators replace them.
    definitions = {**types, **{k.name: k.type for k in (*index.partition, *index.sort)}}
    try:
        # An UpdateTable request built from the model, in the API's own shape.
        update: dict[str, Any] = {
            "TableName": request.table,
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in definitions.items()],
            "GlobalSecondaryIndexUpdates": [{"Create": create}],
        }
        client.update_table(**update)
    except ClientError as error:
        if error_code(error) == "LimitExceededException":
            raise ToolError("IndexBusy", f"table '{request.table}': another index started building meanwhile; "
                                         "DynamoDB builds one at a time. Run add-gsi again when it is ACTIVE") from None
        raise
    wait_for_index(client, request.table, request.name, timeout, poll_interval, progress)
    return "created"
