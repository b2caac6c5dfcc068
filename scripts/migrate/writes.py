"""How the backfill engine writes: one item's Update, applied only while what was read still holds.

A migration decides each item's Update from the attributes it read. The write carries that decision's
premise as its condition: the item still exists, and every attribute read still has the value read
(`IS MISSING` / `attribute_not_exists` for those that were absent). So a concurrent change is never
overwritten, and an item already migrated is never written again.

Two ways to send the same conditional writes:
- `batch-statement` (the default): BatchExecuteStatement, up to 25 PartiQL UPDATEs per request.
  Each statement succeeds or fails on its own (it is not a transaction) and costs what UpdateItem
  costs, but the request overhead (HTTP, signing, one round trip) is paid once per 25 items.
- `update-item`: one UpdateItem per item. For endpoints that do not enforce conditions in PartiQL
  WHERE clauses: moto 5 applies such an UPDATE whatever its condition says.
- `transact`: the UpdateItem requests, up to 100 per TransactWriteItems request. On AWS a
  transactional write costs twice the write units of the same UpdateItem, so this is never the
  default; it is for endpoints where it is the cheaper way to write: DynamoDB Local spends about a
  third less CPU on it than on PartiQL statements, whose table lookups it repeats per statement
  (benchmarks/RESULTS.md). A transaction is all or nothing: when one write's condition fails, the
  others in it were not applied and are sent again (`resend`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from botocore.exceptions import ClientError

from scripts.aws import DynamoDBClient

if TYPE_CHECKING:  # boto3-stubs request shapes, for the type checker only
    from mypy_boto3_dynamodb.type_defs import BatchStatementRequestTypeDef
from scripts.migrate import WRITE_APIS
from scripts.migrate.history import is_conditional_failure, to_item, to_value

STATEMENTS_PER_REQUEST = 25  # BatchExecuteStatement's limit
ACTIONS_PER_TRANSACTION = 100  # TransactWriteItems' limit

# Statement errors worth sending again; botocore retries whole requests, not statements within one.
RETRYABLE_STATEMENT_ERRORS = frozenset({"ProvisionedThroughputExceeded", "ThrottlingError", "RequestLimitExceeded",
                                        "InternalServerError", "TransactionConflict"})

@dataclass(frozen=True)
class Update:
    """One item's change: top-level attributes to set (Python values) and to remove."""

    set: Mapping[str, Any] = field(default_factory=dict)
    remove: Sequence[str] = ()

    def describe(self) -> str:
        parts = [f"SET {', '.join(f'{name}={value!r}' for name, value in self.set.items())}"] if self.set else []
        if self.remove:
            parts.append(f"REMOVE {', '.join(self.remove)}")
        return "; ".join(parts)


@dataclass
class Write:
    """An Update on its way: the item as read (key and read attributes), and how often it was tried."""

    item: dict[str, Any]
    update: Update
    conflicts: int = 0
    retries: int = 0


# resend: not applied, through no fault of its own (another write of its transaction failed).
Outcome = Literal["updated", "changed", "retry", "resend", "failed"]


@dataclass(frozen=True)
class Reply:
    outcome: Outcome
    current: dict[str, Any] | None = None  # changed: the item as it is now (raw); None: it was deleted
    message: str = ""  # failed: why


@dataclass(frozen=True)
class Target:
    """The table written to, and which attributes form the key and the premise of each write."""

    table: str
    key: tuple[str, ...]
    guarded: tuple[str, ...]  # read attributes that are not part of the key

    def check(self, update: Update) -> None:
        touched = set(update.set) | set(update.remove)
        if touched & set(self.key):
            raise ValueError(f"an update may not change key attributes of {self.table}: "
                             f"{', '.join(sorted(touched & set(self.key)))}")
        if any('"' in name for name in touched | set(self.guarded)):
            raise ValueError(f"attribute names with double quotes are not supported: {sorted(touched)}")


class Writer(Protocol):
    batch_size: int

    def write(self, target: Target, writes: Sequence[Write]) -> tuple[list[Reply], float]:
        """Send at most batch_size writes; a Reply for each, in order, and the capacity consumed."""
        ...


def _quote(name: str) -> str:
    return f'"{name}"'


class StatementWriter:
    """Conditional PartiQL UPDATEs, up to 25 per BatchExecuteStatement request."""

    batch_size = STATEMENTS_PER_REQUEST

    def __init__(self, client: DynamoDBClient) -> None:
        self.client = client

    def statement(self, target: Target, write: Write) -> BatchStatementRequestTypeDef:
        update, item = write.update, write.item
        changes = [f"SET {_quote(name)}=?" for name in update.set]
        changes += [f"REMOVE {_quote(name)}" for name in update.remove]
        premise = [f"{_quote(name)}=?" for name in target.key]
        premise += [f"{_quote(name)}=?" if name in item else f"{_quote(name)} IS MISSING" for name in target.guarded]
        values = [*update.set.values(), *(item[name] for name in target.key),
                  *(item[name] for name in target.guarded if name in item)]
        # An UPDATE whose WHERE matches no item fails: a deleted item is not written back to life.
        return {"Statement": f"UPDATE {_quote(target.table)} {' '.join(changes)} WHERE {' AND '.join(premise)}",
                "Parameters": [to_value(value) for value in values],
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}

    def write(self, target: Target, writes: Sequence[Write]) -> tuple[list[Reply], float]:
        response = self.client.batch_execute_statement(
            Statements=[self.statement(target, w) for w in writes], ReturnConsumedCapacity="TOTAL")
        capacity = sum(c.get("CapacityUnits", 0.0) for c in response.get("ConsumedCapacity") or [])
        replies = []
        for answer in response["Responses"]:
            error = answer.get("Error")
            if error is None:
                replies.append(Reply("updated"))
            elif error.get("Code") == "ConditionalCheckFailed":
                replies.append(Reply("changed", current=error.get("Item")))
            elif error.get("Code") in RETRYABLE_STATEMENT_ERRORS:
                replies.append(Reply("retry"))
            else:
                replies.append(Reply("failed", message=f"{error.get('Code')}: {error.get('Message', '')}"))
        return replies, capacity


class ItemWriter:
    """One conditional UpdateItem per item (botocore retries each request by itself)."""

    batch_size = 1

    def __init__(self, client: DynamoDBClient) -> None:
        self.client = client

    def request(self, target: Target, write: Write) -> dict[str, Any]:
        update, item = write.update, write.item
        names: dict[str, str] = {}
        values: dict[str, Any] = {}

        def name(attribute: str) -> str:
            placeholder = f"#a{len(names)}"
            names[placeholder] = attribute
            return placeholder

        def value(python_value: Any) -> str:
            placeholder = f":v{len(values)}"
            values[placeholder] = to_value(python_value)
            return placeholder

        expression = " ".join(filter(None, [
            "SET " + ", ".join(f"{name(a)} = {value(v)}" for a, v in update.set.items()) if update.set else "",
            "REMOVE " + ", ".join(name(a) for a in update.remove) if update.remove else ""]))
        # UpdateItem would create a missing item: require it to exist, as the PartiQL UPDATE does.
        premise = [f"attribute_exists({name(target.key[0])})"]
        premise += [f"{name(a)} = {value(item[a])}" if a in item else f"attribute_not_exists({name(a)})"
                    for a in target.guarded]
        request: dict[str, Any] = {
            "TableName": target.table, "Key": to_item({a: item[a] for a in target.key}),
            "UpdateExpression": expression, "ConditionExpression": " AND ".join(premise),
            "ExpressionAttributeNames": names, "ReturnConsumedCapacity": "TOTAL",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        if values:
            request["ExpressionAttributeValues"] = values
        return request

    def write(self, target: Target, writes: Sequence[Write]) -> tuple[list[Reply], float]:
        replies, capacity = [], 0.0
        for write in writes:
            try:
                response = self.client.update_item(**self.request(target, write))
            except ClientError as error:
                if is_conditional_failure(error):
                    replies.append(Reply("changed", current=error.response.get("Item")))  # type: ignore[arg-type]
                else:
                    replies.append(Reply("failed", message=str(error)))
                continue
            capacity += (response.get("ConsumedCapacity") or {}).get("CapacityUnits", 0.0)
            replies.append(Reply("updated"))
        return replies, capacity


class TransactionWriter:
    """The conditional UpdateItem requests, up to 100 in one TransactWriteItems request (twice the write units)."""

    batch_size = ACTIONS_PER_TRANSACTION

    def __init__(self, client: DynamoDBClient) -> None:
        self.client = client
        self.items = ItemWriter(client)

    def action(self, target: Target, write: Write) -> dict[str, Any]:
        update = self.items.request(target, write)
        del update["ReturnConsumedCapacity"]  # a property of the whole transaction
        return {"Update": update}

    def write(self, target: Target, writes: Sequence[Write]) -> tuple[list[Reply], float]:
        try:
            response = self.client.transact_write_items(
                TransactItems=[self.action(target, w) for w in writes],  # type: ignore[misc]
                ReturnConsumedCapacity="TOTAL")
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                return [Reply("failed", message=str(error)) for _ in writes], 0.0
            reasons = error.response.get("CancellationReasons") or []
            if len(reasons) != len(writes):
                return [Reply("failed", message=str(error)) for _ in writes], 0.0
            replies = [self._reply(reason) for reason in reasons]
            if all(reply.outcome == "resend" for reply in replies):
                # No write to blame: count it against every write's retries, so it cannot loop for ever.
                replies = [Reply("retry") for _ in writes]
            return replies, 0.0
        capacity = sum(c.get("CapacityUnits", 0.0) for c in response.get("ConsumedCapacity") or [])
        return [Reply("updated") for _ in writes], capacity

    @staticmethod
    def _reply(reason: Mapping[str, Any]) -> Reply:
        code = reason.get("Code") or "None"
        if code == "None":
            return Reply("resend")
        if code == "ConditionalCheckFailed":
            return Reply("changed", current=reason.get("Item"))
        if code in RETRYABLE_STATEMENT_ERRORS:
            return Reply("retry")
        return Reply("failed", message=f"{code}: {reason.get('Message', '')}")


def writer_for(write_api: str, client: DynamoDBClient) -> Writer:
    if write_api == "batch-statement":
        return StatementWriter(client)
    if write_api == "update-item":
        return ItemWriter(client)
    if write_api == "transact":
        return TransactionWriter(client)
    raise ValueError(f"unknown write API {write_api!r}; known: {', '.join(WRITE_APIS)}")
