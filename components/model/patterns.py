"""Access patterns: every call a service makes to a table, declared beside the table and checked.

Each team wrote down its queries by hand ("jobs by status", "Query Items by Status and Creation
Date"). Here each one is typed: the operation, the table or index, the key condition, the
attributes read, the consistency, the consumer service that runs it and its expected peak rate.
The checks below refuse, before anything is declared, a pattern DynamoDB would refuse at run time
(an index that does not exist, a key condition on a non-key attribute or of the wrong type, a
strongly consistent read of a GSI, an attribute the index does not project) and a full-table Scan
nobody justified. `tables patterns verify` runs each pattern against a local endpoint,
`tables plan` refuses to delete or rebuild an index a pattern uses, and the cost work prices the
declared rates (`AccessPattern.reads_per_second`, `.writes_per_second`, `.rate.item_bytes`).

No Pulumi, no boto3: the families declare patterns as data.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from components.model.spec import (
    GlobalIndex,
    Key,
    LocalIndex,
    ModelError,
    Projection,
    TableSpec,
)

# DynamoDB's largest item, 400 KB (Service, account, and table quotas: "Item size").
MAX_ITEM_BYTES = 400 * 1024
# What one partition serves, per second, for a table and for a GSI alike: "each individual partition is
# limited to 1000 write units per second and 3000 read units per second" (Amazon DynamoDB Developer Guide,
# docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html; the limits apply
# to "both table and global secondary index (GSI)": .../throttling-key-range-limit-exceeded-mitigation.html).
# The fix AWS gives is write sharding with a random or calculated suffix: .../bp-partition-key-sharding.html.
PARTITION_WRITE_UNITS = 1000
PARTITION_READ_UNITS = 3000
# A write unit covers an item of up to 1 KB; a (strongly consistent) read unit up to 4 KB.
WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
# "Few distinct values": a key with at most this many values cannot spread writes over partitions.
LOW_CARDINALITY = 100


class Operation(StrEnum):
    GET_ITEM = "GetItem"
    QUERY = "Query"
    SCAN = "Scan"
    BATCH_GET_ITEM = "BatchGetItem"
    PUT_ITEM = "PutItem"
    UPDATE_ITEM = "UpdateItem"
    DELETE_ITEM = "DeleteItem"

    @property
    def writes(self) -> bool:
        return self in WRITE_OPERATIONS


WRITE_OPERATIONS = frozenset({Operation.PUT_ITEM, Operation.UPDATE_ITEM, Operation.DELETE_ITEM})
# Operations addressed by the whole primary key of the table (never an index).
KEYED_OPERATIONS = frozenset({Operation.GET_ITEM, Operation.BATCH_GET_ITEM, *WRITE_OPERATIONS})


class Consistency(StrEnum):
    EVENTUAL = "eventual"
    STRONG = "strong"


class Order(StrEnum):
    ASCENDING = "ascending"
    DESCENDING = "descending"


class SortOperator(StrEnum):
    EQ = "="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    BETWEEN = "BETWEEN"
    BEGINS_WITH = "begins_with"

    @property
    def arity(self) -> int:
        return 2 if self is SortOperator.BETWEEN else 1


ExampleValue = str | int


@dataclass(frozen=True)
class SortCondition:
    """The optional sort-key half of a key condition. `key` carries the attribute and its type."""

    key: Key
    operator: SortOperator
    # Values for `tables patterns verify` (one, two for BETWEEN); empty: taken from the seeded data.
    example: tuple[ExampleValue, ...] = ()


@dataclass(frozen=True)
class KeyCondition:
    """Partition key equality (every partition attribute of the table or index), and an optional sort condition."""

    partition: tuple[Key, ...]
    sort: SortCondition | None = None
    # Partition values for `patterns verify`, by attribute; missing ones are taken from the seeded data.
    example: Mapping[str, ExampleValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Rate:
    """Expected load at peak: requests per second, the average item size, and items per request."""

    per_second: float
    item_bytes: int
    items_per_request: int = 1


@dataclass(frozen=True)
class AccessPattern:
    """One call a consumer service makes, named in its team's words."""

    name: str
    table: TableSpec
    consumer: str
    operation: Operation
    rate: Rate
    index: str | None = None
    key: KeyCondition | None = None
    order: Order = Order.ASCENDING
    reads: tuple[str, ...] = ()  # the attributes the caller uses from each item
    consistency: Consistency = Consistency.EVENTUAL
    allow_scan: str = ""  # why a full Scan is acceptable; required for Operation.SCAN
    limit: int | None = None  # page size the caller asks for (Limit)

    @property
    def writes(self) -> bool:
        return self.operation.writes

    @property
    def reads_per_second(self) -> float:
        return 0.0 if self.writes else self.rate.per_second

    @property
    def writes_per_second(self) -> float:
        return self.rate.per_second if self.writes else 0.0

    @property
    def target(self) -> str:
        return f"{self.table.key}" + (f" index {self.index}" if self.index else "")


def find_index(spec: TableSpec, name: str) -> GlobalIndex | LocalIndex | None:
    indexes: list[GlobalIndex | LocalIndex] = [*spec.global_indexes, *spec.local_indexes]
    return next((index for index in indexes if index.name == name), None)


def key_of(spec: TableSpec, index: GlobalIndex | LocalIndex | None) -> tuple[tuple[Key, ...], tuple[Key, ...]]:
    """(partition keys, sort keys) of the table or one of its indexes."""
    if index is None:
        return (spec.partition,), ((spec.sort,) if spec.sort else ())
    if isinstance(index, LocalIndex):
        return (spec.partition,), (index.sort,)
    return index.partition, index.sort


def projected_attributes(spec: TableSpec, index: GlobalIndex | LocalIndex) -> frozenset[str] | None:
    """What an index holds of each item; None for every attribute (projection ALL)."""
    if index.projection is Projection.ALL:
        return None
    partition, sort = key_of(spec, index)
    keys = {k.name for k in (*spec.primary_key, *partition, *sort)}
    return frozenset(keys | set(index.non_key_attributes))


def _type_matches(value: ExampleValue, key_type: str) -> bool:
    if key_type == "N":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


def validate_pattern(family: str, pattern: AccessPattern) -> None:
    """Raise ModelError, one line naming family, table and pattern, for the first thing wrong with it."""
    spec = pattern.table
    where = f"family '{family}', table '{spec.key}', access pattern '{pattern.name}'"

    def fail(problem: str) -> ModelError:
        return ModelError(f"{where}: {problem}")

    if not pattern.name.strip():
        raise ModelError(f"family '{family}', table '{spec.key}': an access pattern without a name")
    if pattern.rate.per_second < 0 or not math.isfinite(pattern.rate.per_second):
        raise fail(f"rate {pattern.rate.per_second!r} per second; allowed: a finite number of at least 0")
    if not 1 <= pattern.rate.item_bytes <= MAX_ITEM_BYTES:
        raise fail(f"item size {pattern.rate.item_bytes!r} bytes; allowed: 1 to {MAX_ITEM_BYTES} (400 KB)")
    if pattern.rate.items_per_request < 1:
        raise fail(f"{pattern.rate.items_per_request!r} items per request; allowed: at least 1")

    index = None
    if pattern.index is not None:
        index = find_index(spec, pattern.index)
        if index is None:
            indexes: list[GlobalIndex | LocalIndex] = [*spec.global_indexes, *spec.local_indexes]
            declared = ", ".join(i.name for i in indexes) or "none"
            raise fail(f"index '{pattern.index}' does not exist; the table's indexes: {declared}")
        if pattern.operation in KEYED_OPERATIONS:
            raise fail(f"{pattern.operation.value} addresses the table by its primary key; it cannot use "
                       f"index '{pattern.index}' (use Query)")
    if pattern.consistency is Consistency.STRONG and isinstance(index, GlobalIndex):
        raise fail(f"ConsistentRead on global index '{index.name}'; DynamoDB reads a GSI eventually consistent "
                   "only: read the table, or use eventual consistency")
    if pattern.consistency is Consistency.STRONG and pattern.writes:
        raise fail(f"consistency on a {pattern.operation.value}; consistency is a property of reads")

    if pattern.operation is Operation.SCAN:
        if not pattern.allow_scan.strip():
            raise fail("a Scan reads the whole table; give allow_scan the reason it is acceptable, or Query an index")
        if pattern.key is not None:
            raise fail("a Scan has no key condition; use Query")
    else:
        if pattern.allow_scan:
            raise fail(f"allow_scan on a {pattern.operation.value}; it only applies to a Scan")
        _check_key_condition(spec, index, pattern, fail)

    if pattern.order is Order.DESCENDING and pattern.operation is not Operation.QUERY:
        raise fail(f"descending order on a {pattern.operation.value}; only a Query reads in sort-key order")
    # Only a GSI: a Query of an LSI fetches unprojected attributes from the table (at extra read cost).
    if isinstance(index, GlobalIndex):
        projected = projected_attributes(spec, index)
        missing = [name for name in pattern.reads if projected is not None and name not in projected]
        if missing:
            raise fail(f"reads {', '.join(missing)}, which index '{index.name}' does not project "
                       f"({index.projection.value}: {', '.join(sorted(projected or ()))}); project them "
                       "(INCLUDE or ALL) or read them from the table")


def _check_key_condition(spec: TableSpec, index: GlobalIndex | LocalIndex | None, pattern: AccessPattern,
                         fail: Callable[[str], ModelError]) -> None:
    target = f"index '{index.name}'" if index is not None else "the table"
    if pattern.key is None:
        raise fail(f"{pattern.operation.value} needs a key condition")
    partition, sort = key_of(spec, index)
    declared = {k.name: k.type for k in (*partition, *sort)}
    condition = pattern.key
    for key in (*condition.partition, *((condition.sort.key,) if condition.sort else ())):
        if key.name not in declared:
            keys = ", ".join(f"{k.name} ({role})" for role, ks in (("partition", partition), ("sort", sort))
                             for k in ks)
            raise fail(f"key condition on '{key.name}', which is not a key attribute of {target}; its keys: {keys}")
        if key.type != declared[key.name]:
            raise fail(f"key condition on '{key.name}' as type {key.type}; {target} declares it {declared[key.name]}")
    wanted = [k.name for k in partition]
    given = [k.name for k in condition.partition]
    if given != wanted:
        raise fail(f"partition key condition on {', '.join(given) or 'nothing'}; {target} needs equality on "
                   f"{', '.join(wanted)}")
    if condition.sort is not None:
        if condition.sort.key.name in wanted:
            raise fail(f"sort key condition on partition key '{condition.sort.key.name}'")
        operator = condition.sort.operator
        if operator is SortOperator.BEGINS_WITH and condition.sort.key.type == "N":
            raise fail(f"begins_with on '{condition.sort.key.name}', a Number; begins_with applies to strings and "
                       "binary values only")
        if condition.sort.example and len(condition.sort.example) != operator.arity:
            raise fail(f"{len(condition.sort.example)} example values for {operator.value}; it takes {operator.arity}")
        for value in condition.sort.example:
            if not _type_matches(value, condition.sort.key.type):
                raise fail(f"example {value!r} for '{condition.sort.key.name}', of type {condition.sort.key.type}")
    for name, value in condition.example.items():
        if name not in declared or name not in given:
            raise fail(f"example value for '{name}', which the partition key condition does not name")
        if not _type_matches(value, declared[name]):
            raise fail(f"example {value!r} for '{name}', of type {declared[name]}")
    # GetItem, BatchGetItem and the writes name the whole primary key: the sort key by equality.
    if pattern.operation in KEYED_OPERATIONS and sort and (
            condition.sort is None or condition.sort.operator is not SortOperator.EQ):
        raise fail(f"{pattern.operation.value} needs the whole primary key: equality on '{sort[0].name}' too")


def validate_patterns(family: str, patterns: Sequence[AccessPattern], tables: Iterable[TableSpec]) -> None:
    """Every pattern of a family: each valid, on one of the family's tables, names unique per table."""
    keys = {spec.key for spec in tables}
    seen: set[tuple[str, str]] = set()
    for pattern in patterns:
        if pattern.table.key not in keys:
            raise ModelError(f"family '{family}', access pattern '{pattern.name}': table '{pattern.table.key}' is not "
                             f"a table of this family ({', '.join(sorted(keys))})")
        validate_pattern(family, pattern)
        if (pattern.table.key, pattern.name) in seen:
            raise ModelError(f"family '{family}', table '{pattern.table.key}', access pattern '{pattern.name}': "
                             "declared twice; name each pattern once per table")
        seen.add((pattern.table.key, pattern.name))


def patterns_on(patterns: Iterable[AccessPattern], table: TableSpec | str,
                index: str | None = None) -> list[AccessPattern]:
    """The patterns that read a table (any of its keys) or, given `index`, that index."""
    key = table if isinstance(table, str) else table.key
    return [p for p in patterns if p.table.key == key and (index is None or p.index == index)]


# --- hot keys -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class HotKey:
    """A GSI whose partition key has too few values for the table's write rate."""

    table: str
    index: str
    attribute: str
    cardinality: int
    measured: bool  # counted in the seeded data, not declared
    write_units: float  # per second, at the declared peak
    shards: int

    def text(self) -> str:
        source = "measured in the seed data" if self.measured else "declared"
        return (f"hot key: {self.table} index {self.index}: partition key '{self.attribute}' has "
                f"{self.cardinality} distinct value{'s' if self.cardinality != 1 else ''} ({source}) and the table's "
                f"declared peak of {self.write_units:,.0f} write units/s can all land on one of them, over the "
                f"{PARTITION_WRITE_UNITS:,} write units/s one partition takes; shard it: write "
                f"'{self.attribute}' as <value>#<0..{self.shards - 1}> (a random or calculated suffix, "
                f"{self.shards} shards per value) and query the {self.shards} shards in parallel")


def write_units(patterns: Iterable[AccessPattern]) -> float:
    """Write units per second the patterns need at peak: one per KB of item, rounded up, per write."""
    return sum(p.rate.per_second * p.rate.items_per_request * math.ceil(p.rate.item_bytes / WRITE_UNIT_BYTES)
               for p in patterns if p.writes)


def hot_keys(spec: TableSpec, patterns: Iterable[AccessPattern],
             measured: Mapping[str, int] | None = None) -> list[HotKey]:
    """GSIs of `spec` whose partition key has few distinct values (the key's declared `cardinality`, else
    `measured[attribute]`) while the table's declared write rate exceeds one partition's.

    Every write that sets the key also writes the index, and with few values the writes of a status
    change or a new item concentrate on one of them: AWS's own example of a GSI whose throttling
    slows the base table (Developer Guide, "Using write sharding to distribute workloads evenly").
    """
    units = write_units(p for p in patterns if p.table.key == spec.key)
    found: list[HotKey] = []
    for index in spec.global_indexes:
        for key in index.partition:
            cardinality = key.cardinality
            from_data = cardinality is None
            if cardinality is None:
                cardinality = (measured or {}).get(key.name)
            if cardinality is None or cardinality > LOW_CARDINALITY or units <= PARTITION_WRITE_UNITS:
                continue
            found.append(HotKey(spec.key, index.name, key.name, cardinality, from_data, units,
                                shards=math.ceil(units / PARTITION_WRITE_UNITS)))
    return found
