"""`tables patterns verify`: every declared access pattern, run as the real DynamoDB call.

Each read pattern runs once against the stack's tables (seeded by `tables seed`), with the example
values the pattern gives, else values taken from an item of the seeded table or index. A pattern
passes when the call succeeds, returns at least one item, and those items carry every attribute the
pattern reads; a call that returns nothing is flagged, never passed. Write patterns are checked
without writing: the call carries a condition that is always false, so DynamoDB validates the
table, the key and its types and then refuses (ConditionalCheckFailedException); nothing changes.

The hot-key check (components/model/patterns.py) runs here too, with the distinct values of each
GSI partition key counted in the seeded data where the model declares no cardinality.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from components.model.access import ConsumerPlan
from components.model.pattern_access import PlannedPattern, wider_than_patterns
from components.model.patterns import (
    PARTITION_WRITE_UNITS,
    AccessPattern,
    Consistency,
    HotKey,
    Operation,
    Order,
    SortOperator,
    find_index,
    hot_keys,
    key_of,
    write_units,
)
from components.model.plan import TablePlan
from scripts.aws import DynamoDBClient

PASSED, FLAGGED, FAILED = "passed", "flagged", "failed"
# A placeholder key for the write checks: the always-false condition refuses it before anything is written.
PLACEHOLDER: dict[str, Any] = {"S": "patterns-verify", "N": "0", "B": b"patterns-verify"}
NEVER = "attribute_not_exists(#k0) AND attribute_exists(#k0)"


@dataclass
class PatternResult:
    family: str
    pattern: AccessPattern
    table: str
    call: str = ""
    request: dict[str, Any] = field(default_factory=dict)
    items: int = 0
    consumed: float | None = None
    status: str = FAILED
    detail: str = ""
    examples: str = ""  # where the example values came from

    def as_json(self) -> dict[str, Any]:
        return {"family": self.family, "table": self.table, "pattern": self.pattern.name,
                "consumer": self.pattern.consumer, "operation": self.pattern.operation.value,
                "index": self.pattern.index, "call": self.call, "items": self.items,
                "consumedCapacity": self.consumed, "status": self.status, "detail": self.detail,
                "examples": self.examples}


@dataclass
class Verification:
    stack: str
    where: str
    results: list[PatternResult]
    hot_keys: list[HotKey]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    def exit_code(self) -> int:
        return 0 if self.results and all(r.status == PASSED for r in self.results) else 1

    def summary(self) -> str:
        writes = sum(1 for r in self.results if r.pattern.writes)
        total = len(self.results)
        text = (f"patterns verify: {total} patterns ({total - writes} reads run, {writes} writes checked without "
                f"writing): {self.count(PASSED)} passed, {self.count(FLAGGED)} flagged, {self.count(FAILED)} failed")
        if self.hot_keys:
            text += f"; {len(self.hot_keys)} hot-key warning{'s' if len(self.hot_keys) > 1 else ''}"
        return text

    def as_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "endpoint": self.where, "exitCode": self.exit_code(),
                "summary": self.summary(), "patterns": [r.as_json() for r in self.results],
                "hotKeys": [hot.text() for hot in self.hot_keys]}


def attribute_value(value: Any, type_: str) -> dict[str, Any]:
    return {type_: str(value) if type_ == "N" else value}


def shown(value: dict[str, Any]) -> str:
    ((type_, raw),) = value.items()
    return str(raw) if type_ == "N" else f'"{raw}"'


def _derived(sample: dict[str, Any], operator: SortOperator) -> list[dict[str, Any]]:
    """Sort-key values that select `sample` (an AttributeValue) under `operator`."""
    ((type_, raw),) = sample.items()
    if operator is SortOperator.BETWEEN:
        return [sample, sample]
    if type_ == "N":
        number = Decimal(raw)
        moved = {SortOperator.LT: number + 1, SortOperator.GT: number - 1}.get(operator, number)
        return [{"N": str(moved)}]
    if operator is SortOperator.LT:
        return [{type_: raw + "\uffff"}]
    if operator is SortOperator.GT:
        return [{type_: raw[:-1] if len(raw) > 1 else "\x00"}]
    if operator is SortOperator.BEGINS_WITH:
        return [{type_: raw[:max(1, len(raw) // 2)]}]
    return [sample]


def _sample(client: DynamoDBClient, table: str, index: str | None,
            partition: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """One item of the table or index: in the given partition when its values are known, else any."""
    target: dict[str, Any] = {"TableName": table, **({"IndexName": index} if index else {})}
    if partition:
        names = {f"#p{i}": name for i, name in enumerate(partition)}
        values = {f":p{i}": value for i, value in enumerate(partition.values())}
        condition = " AND ".join(f"#p{i} = :p{i}" for i in range(len(partition)))
        pages = client.get_paginator("query").paginate(**target, KeyConditionExpression=condition,
                                                       ExpressionAttributeNames=names,
                                                       ExpressionAttributeValues=values,
                                                       PaginationConfig={"PageSize": 1})
    else:
        pages = client.get_paginator("scan").paginate(**target, PaginationConfig={"PageSize": 1})
    for page in pages:
        for item in page.get("Items", []):
            return item
    return None


def _key_condition(plan: TablePlan, pattern: AccessPattern, client: DynamoDBClient
                   ) -> tuple[str, dict[str, str], dict[str, Any], str, str] | None:
    """(KeyConditionExpression, names, values, the call's condition in words, where examples came from),
    or None when the seeded data has no item to take examples from."""
    assert pattern.key is not None
    condition = pattern.key
    index = find_index(plan.spec, pattern.index) if pattern.index else None
    partition_keys, _ = key_of(plan.spec, index)
    given = {k.name: attribute_value(condition.example[k.name], k.type)
             for k in partition_keys if k.name in condition.example}
    sources = ["declared"] if given else []
    sample = None
    needs_sample = len(given) < len(partition_keys) or (condition.sort is not None and not condition.sort.example)
    if needs_sample:
        sample = _sample(client, plan.name, pattern.index, given)
        if sample is None:
            return None
        sources.append("a seeded item")
    values_by_name = {k.name: given.get(k.name) or (sample or {})[k.name] for k in partition_keys}
    names = {f"#k{i}": name for i, name in enumerate(values_by_name)}
    values = {f":k{i}": value for i, value in enumerate(values_by_name.values())}
    parts = [f"#k{i} = :k{i}" for i in range(len(values_by_name))]
    words = [f"{name} = {shown(value)}" for name, value in values_by_name.items()]
    if condition.sort is not None:
        sort = condition.sort
        if sort.example:
            sort_values = [attribute_value(v, sort.key.type) for v in sort.example]
        else:
            assert sample is not None
            if sort.key.name not in sample:
                return None
            sort_values = _derived(sample[sort.key.name], sort.operator)
        names["#s"] = sort.key.name
        for i, value in enumerate(sort_values):
            values[f":s{i}"] = value
        if sort.operator is SortOperator.BETWEEN:
            parts.append("#s BETWEEN :s0 AND :s1")
            words.append(f"{sort.key.name} BETWEEN {shown(sort_values[0])} AND {shown(sort_values[1])}")
        elif sort.operator is SortOperator.BEGINS_WITH:
            parts.append("begins_with(#s, :s0)")
            words.append(f"begins_with({sort.key.name}, {shown(sort_values[0])})")
        else:
            parts.append(f"#s {sort.operator.value} :s0")
            words.append(f"{sort.key.name} {sort.operator.value} {shown(sort_values[0])}")
    return " AND ".join(parts), names, values, " AND ".join(words), " and ".join(sources)


def _projection(pattern: AccessPattern) -> dict[str, Any]:
    if not pattern.reads:
        return {}
    names = {f"#r{i}": name for i, name in enumerate(pattern.reads)}
    return {"ProjectionExpression": ", ".join(names), "ExpressionAttributeNames": names}


def _consumed(response: Mapping[str, Any]) -> float | None:
    consumed = response.get("ConsumedCapacity")
    if isinstance(consumed, list):
        units = [c.get("CapacityUnits") for c in consumed if c.get("CapacityUnits") is not None]
        return float(sum(units)) if units else None
    if isinstance(consumed, dict) and consumed.get("CapacityUnits") is not None:
        return float(consumed["CapacityUnits"])
    return None


def _read(client: DynamoDBClient, plan: TablePlan, pattern: AccessPattern, result: PatternResult) -> list[Any]:
    table = plan.name
    target = f"{table}" + (f" index {pattern.index}" if pattern.index else "")
    common: dict[str, Any] = {"ReturnConsumedCapacity": "TOTAL"}
    if pattern.operation is Operation.SCAN:
        request = {"TableName": table, **({"IndexName": pattern.index} if pattern.index else {}),
                   **({"Limit": pattern.limit} if pattern.limit else {}), **_projection(pattern), **common}
        result.call = f"Scan {target}" + (f" (limit {pattern.limit})" if pattern.limit else "")
        result.examples = "none needed"
        result.request = request
        scanned = client.scan(**request)
        result.consumed = _consumed(scanned)
        return list(scanned.get("Items", []))
    condition = _key_condition(plan, pattern, client)
    if condition is None:
        raise LookupError(f"no seeded item in {target} to take example values from; seed it (tables seed) or give "
                          "the pattern its example values")
    expression, names, values, words, sources = condition
    result.examples = sources
    strong = pattern.consistency is Consistency.STRONG
    projection = _projection(pattern)
    if pattern.operation is Operation.QUERY:
        request = {"TableName": table, **({"IndexName": pattern.index} if pattern.index else {}),
                   "KeyConditionExpression": expression,
                   "ExpressionAttributeNames": {**names, **projection.get("ExpressionAttributeNames", {})},
                   "ExpressionAttributeValues": values,
                   "ScanIndexForward": pattern.order is Order.ASCENDING,
                   **({"ProjectionExpression": projection["ProjectionExpression"]} if projection else {}),
                   **({"Limit": pattern.limit} if pattern.limit else {}),
                   **({"ConsistentRead": True} if strong else {}), **common}
        details = [pattern.order.value] + ([f"limit {pattern.limit}"] if pattern.limit else []) + (
            ["strongly consistent"] if strong else [])
        result.call = f"Query {target}: {words} ({', '.join(details)})"
        result.request = request
        queried = client.query(**request)
        result.consumed = _consumed(queried)
        return list(queried.get("Items", []))
    key: dict[str, Any] = {names[placeholder.replace(":", "#")]: values[placeholder] for placeholder in values
                           if placeholder.startswith(":k")}
    if "#s" in names:
        key[names["#s"]] = values[":s0"]
    read_options = {**projection, **({"ConsistentRead": True} if strong else {})}
    words_key = ", ".join(f"{name} = {shown(value)}" for name, value in key.items())
    if pattern.operation is Operation.GET_ITEM:
        request = {"TableName": table, "Key": key, **read_options, **common}
        result.call = f"GetItem {table}: {words_key}" + (" (strongly consistent)" if strong else "")
        result.request = request
        got = client.get_item(**request)
        result.consumed = _consumed(got)
        return [got["Item"]] if "Item" in got else []
    request = {"RequestItems": {table: {"Keys": [key], **read_options}}, **common}
    result.call = f"BatchGetItem {table}: [{words_key}]"
    result.request = request
    batch = client.batch_get_item(**request)
    result.consumed = _consumed(batch)
    return list(batch.get("Responses", {}).get(table, []))


def _write(client: DynamoDBClient, plan: TablePlan, pattern: AccessPattern, result: PatternResult) -> None:
    key: dict[str, Any] = {k.name: {k.type: PLACEHOLDER[k.type]} for k in plan.spec.primary_key}
    names = {"#k0": plan.spec.partition.name}
    guard = {"ConditionExpression": NEVER, "ExpressionAttributeNames": names, "ReturnConsumedCapacity": "TOTAL"}
    words = ", ".join(f"{name} = {shown(value)}" for name, value in key.items())
    result.examples = "placeholder key"
    result.call = f"{pattern.operation.value} {plan.name}: {words} (condition always false: nothing written)"
    request: dict[str, Any] = {"TableName": plan.name, **guard}
    try:
        if pattern.operation is Operation.PUT_ITEM:
            request["Item"] = key
            result.request = request
            client.put_item(**request)
        elif pattern.operation is Operation.UPDATE_ITEM:
            request.update(Key=key, UpdateExpression="REMOVE #unused",
                           ExpressionAttributeNames={**names, "#unused": "patternsVerifyUnused"})
            result.request = request
            client.update_item(**request)
        else:
            request["Key"] = key
            result.request = request
            client.delete_item(**request)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            result.status, result.detail = PASSED, "the table took the key; the condition refused the write"
            return
        raise
    result.status, result.detail = FAILED, "the write went through although its condition is always false"


def verify_pattern(client: DynamoDBClient, item: PlannedPattern) -> PatternResult:
    pattern, plan = item.pattern, item.plan
    result = PatternResult(item.family, pattern, plan.name)
    try:
        if pattern.writes:
            _write(client, plan, pattern, result)
            return result
        items = _read(client, plan, pattern, result)
    except LookupError as error:
        result.status, result.detail = FLAGGED, str(error)
        return result
    except ClientError as error:
        details = error.response.get("Error", {})
        result.status = FAILED
        result.detail = f"{details.get('Code', 'Error')}: {details.get('Message', str(error))}"
        return result
    result.items = len(items)
    if not items:
        result.status, result.detail = FLAGGED, "returned no items: nothing shows that the pattern works"
        return result
    missing = [name for name in pattern.reads if not any(name in found for found in items)]
    if missing:
        result.status = FLAGGED
        result.detail = f"no returned item has {', '.join(missing)}, which the pattern reads"
        return result
    result.status = PASSED
    return result


def measured_cardinality(client: DynamoDBClient, plan: TablePlan, index: str, attribute: str) -> int:
    """Distinct values of an index's partition key in the live (seeded) data."""
    values: set[str] = set()
    pages = client.get_paginator("scan").paginate(TableName=plan.name, IndexName=index,
                                                  ProjectionExpression="#a", ExpressionAttributeNames={"#a": attribute})
    for page in pages:
        for found in page.get("Items", []):
            if attribute in found:
                values.add(repr(found[attribute]))
    return len(values)


def hot_key_notes(client: DynamoDBClient, plans: Sequence[TablePlan], planned: Sequence[PlannedPattern]
                  ) -> list[HotKey]:
    found: list[HotKey] = []
    for plan in plans:
        patterns = [p.pattern for p in planned if p.plan.name == plan.name]
        if write_units(patterns) <= PARTITION_WRITE_UNITS:
            continue  # no key takes more than a partition can, whatever its cardinality: nothing to count
        measured = {key.name: measured_cardinality(client, plan, index.name, key.name)
                    for index in plan.spec.global_indexes for key in index.partition if key.cardinality is None}
        found += hot_keys(plan.spec, patterns, measured)
    return found


def verify(client: DynamoDBClient, stack: str, where: str, plans: Sequence[TablePlan],
           planned: Sequence[PlannedPattern]) -> Verification:
    results = [verify_pattern(client, item) for item in planned]
    return Verification(stack, where, results, hot_key_notes(client, plans, planned))


def format_verification(verification: Verification, quiet: bool = False) -> str:
    """Every pattern's call and outcome; `quiet`: only what did not pass, the hot keys and the summary."""
    lines = [] if quiet else [f"Access patterns of stack {verification.stack} at {verification.where}:", ""]
    for result in verification.results:
        pattern = result.pattern
        if quiet and result.status == PASSED:
            continue
        lines.append(f"{result.status:<8} {result.family}/{pattern.table.key}: {pattern.name} ({pattern.consumer})")
        lines.append(f"         {result.call or pattern.operation.value}")
        if not pattern.writes and result.status != FAILED and result.call:
            consumed = (f"{result.consumed:g} read unit{'s' if result.consumed != 1 else ''}"
                        if result.consumed is not None else "capacity not reported")
            lines.append(f"         {result.items} item{'s' if result.items != 1 else ''}, {consumed}; "
                         f"examples: {result.examples}")
        if result.detail and not (pattern.writes and result.status == PASSED):
            lines.append(f"         {result.detail}")
    if verification.hot_keys:
        lines += ["", "Hot keys (advisory):"] + [f"  {hot.text()}" for hot in verification.hot_keys]
    lines += ["", verification.summary()]
    return "\n".join(lines).strip("\n")


# --- `tables access --patterns` -------------------------------------------------------------------

def _call_shape(item: PlannedPattern) -> str:
    pattern = item.pattern
    return f"{pattern.operation.value} {item.plan.name}" + (f" index {pattern.index}" if pattern.index else "")


def consumer_patterns(consumers: Sequence[ConsumerPlan], planned: Sequence[PlannedPattern]
                      ) -> dict[str, list[dict[str, Any]]]:
    """Per consumer (configured ones first, then any only the patterns name), the patterns it runs."""
    names = [c.name for c in consumers] + sorted({p.pattern.consumer for p in planned} - {c.name for c in consumers})
    return {name: [{"pattern": p.pattern.name, "call": _call_shape(p), "family": p.family,
                    "perSecond": p.pattern.rate.per_second, "writes": p.pattern.writes}
                   for p in planned if p.pattern.consumer == name]
            for name in names}


def format_consumer_patterns(consumers: Sequence[ConsumerPlan], planned: Sequence[PlannedPattern]) -> str:
    lines = []
    for name, patterns in consumer_patterns(consumers, planned).items():
        lines.append(f"{name}: {len(patterns)} pattern{'s' if len(patterns) != 1 else ''}")
        width = max((len(p["call"]) for p in patterns), default=0)
        lines += [f"  {p['call']:<{width}}  {p['pattern']} ({p['perSecond']:g}/s at peak)" for p in patterns]
    notes = wider_than_patterns(consumers, planned)
    if notes:
        lines += ["", "Grants wider than the patterns (advice):"] + [f"  {note}" for note in notes]
    return "\n".join(lines)
