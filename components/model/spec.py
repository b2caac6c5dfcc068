"""What a DynamoDB table is, independent of any environment or tool.

Every consumer derives from these specs: the Pulumi resources (`components/resources/`), the schema
files and docs (`scripts/schema_files.py`), `tables add-gsi`, drift detection and the policy check.
The key schema and projection of a table or index are built here, once, in DynamoDB's own shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

AttributeType = Literal["S", "N", "B"]
ATTRIBUTE_TYPES: tuple[str, ...] = ("S", "N", "B")

NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]{3,255}")  # always fullmatch: `$` allows a trailing newline
NAME_RULE = "3 to 255 characters of [A-Za-z0-9_.-]"

MAX_GSIS = 20
MAX_LSIS = 5
MAX_PROJECTED_NON_KEY_ATTRIBUTES = 100
# Multi-attribute GSI keys: DynamoDB allows up to 4 partition and 4 sort attributes per index.
MAX_KEY_ATTRIBUTES_PER_ROLE = 4
MAX_KEY_NAME_BYTES = 255
MAX_ITEM_BYTES = 400 * 1024
PITR_PERIOD_RANGE = (1, 35)
ON_DEMAND = "PAY_PER_REQUEST"
PROVISIONED = "PROVISIONED"


class Projection(StrEnum):
    ALL = "ALL"
    KEYS_ONLY = "KEYS_ONLY"
    INCLUDE = "INCLUDE"


class StreamViewType(StrEnum):
    KEYS_ONLY = "KEYS_ONLY"
    NEW_IMAGE = "NEW_IMAGE"
    OLD_IMAGE = "OLD_IMAGE"
    NEW_AND_OLD_IMAGES = "NEW_AND_OLD_IMAGES"


class TableClass(StrEnum):
    STANDARD = "STANDARD"
    STANDARD_INFREQUENT_ACCESS = "STANDARD_INFREQUENT_ACCESS"


@dataclass(frozen=True)
class Key:
    """One key attribute: a name and its DynamoDB scalar type.

    `cardinality`, where known, is how many distinct values the attribute takes (a status: a handful);
    the hot-key check (components/model/patterns.py) reads it. It is not part of the key's identity.
    """

    name: str
    type: AttributeType = "S"
    cardinality: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Capacity:
    """Provisioned throughput. Only valid with PROVISIONED billing."""

    read: int
    write: int


@dataclass(frozen=True)
class OnDemandLimits:
    """The most request units a second an on-demand table or index may consume (DynamoDB's
    OnDemandThroughput): a bound on its bill and on how fast anything can write it. None: no maximum."""

    max_read_request_units: int | None = None
    max_write_request_units: int | None = None


@dataclass(frozen=True)
class WarmThroughput:
    """The reads and writes a second a table or index can take at once (DynamoDB's WarmThroughput),
    declared as a floor: AWS raises it on its own with traffic and never lowers a table's."""

    read_units_per_second: int | None = None
    write_units_per_second: int | None = None


# pulumi-aws TableWarmThroughputArgs (sdk/python/pulumi_aws/dynamodb/_inputs.py): "Minimum value of 12000
# (default)" read and "4000 (default)" write units per second, what a new on-demand table starts with.
MIN_WARM_READ_UNITS = 12_000
MIN_WARM_WRITE_UNITS = 4_000


@dataclass(frozen=True)
class GlobalIndex:
    """A GSI. `partition` and `sort` hold one key each, or up to four for multi-attribute keys."""

    name: str
    partition: tuple[Key, ...]
    sort: tuple[Key, ...] = ()
    projection: Projection = Projection.ALL
    non_key_attributes: tuple[str, ...] = ()
    capacity: Capacity | None = None
    on_demand_limits: OnDemandLimits | None = None
    warm_throughput: WarmThroughput | None = None


@dataclass(frozen=True)
class LocalIndex:
    """An LSI: shares the table's partition key, with its own sort key."""

    name: str
    sort: Key
    projection: Projection = Projection.ALL
    non_key_attributes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Sizing:
    """What a table is expected to hold, as its team declares it: the basis of the storage estimate
    (`tables cost`) wherever no live table can be measured."""

    items: int
    average_item_bytes: int


@dataclass(frozen=True)
class Stream:
    """A DynamoDB stream, and the services that consume it (the reason it exists)."""

    view_type: StreamViewType
    consumers: tuple[str, ...]


@dataclass(frozen=True)
class TableSpec:
    """One table of a family, before any environment names it.

    `key` is the table's stable identifier inside its family (used in Pulumi resource names and
    exports); `base_name` is the middle part of the physical name, which the stack's prefix and
    suffix wrap.
    """

    key: str
    base_name: str
    partition: Key
    env_var: str
    description: str
    sort: Key | None = None
    global_indexes: tuple[GlobalIndex, ...] = ()
    local_indexes: tuple[LocalIndex, ...] = ()
    ttl_attribute: str | None = None
    stream: Stream | None = None
    table_class: TableClass = TableClass.STANDARD
    billing_mode: str = ON_DEMAND
    capacity: Capacity | None = None
    data_classification: str = "internal"
    tags: dict[str, str] = field(default_factory=dict)
    sizing: Sizing | None = None
    on_demand_limits: OnDemandLimits | None = None
    warm_throughput: WarmThroughput | None = None

    @property
    def primary_key(self) -> tuple[Key, ...]:
        return (self.partition,) if self.sort is None else (self.partition, self.sort)


class ModelError(ValueError):
    """A table definition or stack configuration that cannot be deployed.

    The message is one line that names where the problem is, what was given and what is allowed.
    """


def table_error(family: str, table: str, field_name: str, given: object, allowed: str) -> ModelError:
    return ModelError(
        f"family '{family}', table '{table}', field '{field_name}': given {given!r}; allowed: {allowed}"
    )


def key_attributes(spec: TableSpec) -> list[tuple[str, Key]]:
    """Every key attribute of the table and its indexes, with the place it is used."""
    found: list[tuple[str, Key]] = [("partition", spec.partition)]
    if spec.sort is not None:
        found.append(("sort", spec.sort))
    for gsi in spec.global_indexes:
        found += [(f"globalIndexes.{gsi.name}.partition", k) for k in gsi.partition]
        found += [(f"globalIndexes.{gsi.name}.sort", k) for k in gsi.sort]
    for lsi in spec.local_indexes:
        found.append((f"localIndexes.{lsi.name}.sort", lsi.sort))
    return found


def attribute_definitions(spec: TableSpec) -> list[Key]:
    """AttributeDefinitions derived from the keys, in first-use order, one entry per name."""
    seen: dict[str, Key] = {}
    for _, key in key_attributes(spec):
        seen.setdefault(key.name, key)
    return list(seen.values())


def key_schema(partition: Iterable[Key], sort: Iterable[Key] = ()) -> list[dict[str, str]]:
    """A KeySchema in DynamoDB's API shape: HASH attributes first, then RANGE, in declared order."""
    return ([{"AttributeName": k.name, "KeyType": "HASH"} for k in partition]
            + [{"AttributeName": k.name, "KeyType": "RANGE"} for k in sort])


def table_key_schema(spec: TableSpec) -> list[dict[str, str]]:
    return key_schema((spec.partition,), (spec.sort,) if spec.sort else ())


def index_key_schema(spec: TableSpec, index: GlobalIndex | LocalIndex) -> list[dict[str, str]]:
    """An index's KeySchema; an LSI's partition key is always the table's."""
    if isinstance(index, LocalIndex):
        return key_schema((spec.partition,), (index.sort,))
    return key_schema(index.partition, index.sort)


def projection(index: GlobalIndex | LocalIndex) -> dict[str, Any]:
    """An index's Projection in DynamoDB's API shape."""
    shape: dict[str, Any] = {"ProjectionType": index.projection.value}
    if index.non_key_attributes:
        shape["NonKeyAttributes"] = list(index.non_key_attributes)
    return shape


def projection_problem(projection_type: Projection, non_key_attributes: tuple[str, ...]) -> tuple[object, str] | None:
    """What is wrong with a projection, as (given, allowed), or None. DynamoDB's own rule, stated once."""
    if projection_type is Projection.INCLUDE and not non_key_attributes:
        return [], "at least one attribute with projection INCLUDE"
    if projection_type is not Projection.INCLUDE and non_key_attributes:
        return (list(non_key_attributes),
                f"none with projection {projection_type.value}; use INCLUDE to project them")
    return None


def index_capacity(spec: TableSpec, index: GlobalIndex) -> Capacity | None:
    """A GSI's provisioned throughput: its own, else the table's (as aws-cdk does); None on demand."""
    if spec.billing_mode == ON_DEMAND:
        return None
    return index.capacity or spec.capacity


def validate_spec(family: str, spec: TableSpec, where: str | None = None) -> None:
    """Raise ModelError for the first thing DynamoDB (or good sense) would reject.

    `where` replaces "family F, table T" in messages (a schema file names itself instead).
    """

    def fail(field_name: str, given: object, allowed: str) -> ModelError:
        if where is not None:
            return ModelError(f"{where}, field '{field_name}': given {given!r}; allowed: {allowed}")
        return table_error(family, spec.key, field_name, given, allowed)

    for place, key in key_attributes(spec):
        if key.type not in ATTRIBUTE_TYPES:
            raise fail(f"{place}.type", key.type, "S, N or B")
        if not 1 <= len(key.name.encode()) <= MAX_KEY_NAME_BYTES:
            shown = key.name if len(key.name) <= 40 else f"{key.name[:20]}... ({len(key.name.encode())} bytes)"
            raise fail(f"{place}.name", shown, f"a key attribute name of 1 to {MAX_KEY_NAME_BYTES} bytes")
    if spec.sort is not None and spec.sort.name == spec.partition.name:
        raise fail("sort", spec.sort.name, "a sort key other than the partition key")
    for gsi in spec.global_indexes:
        names = [k.name for k in (*gsi.partition, *gsi.sort)]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise fail(f"globalIndexes.{gsi.name}", f"{twice[0]} used twice in the index key",
                       "each attribute once in an index's partition and sort keys")
    for lsi in spec.local_indexes:
        if lsi.sort.name == spec.partition.name:
            raise fail(f"localIndexes.{lsi.name}.sort", lsi.sort.name, "a sort key other than the partition key")

    types: dict[str, tuple[str, str]] = {}
    for place, key in key_attributes(spec):
        if key.name in types and types[key.name][0] != key.type:
            first_type, first_place = types[key.name]
            raise fail(
                place,
                f"{key.name}:{key.type}",
                f"the type {first_type} already declared for '{key.name}' at {first_place}",
            )
        types.setdefault(key.name, (key.type, place))

    if len(spec.global_indexes) > MAX_GSIS:
        raise fail("globalIndexes", f"{len(spec.global_indexes)} indexes", f"at most {MAX_GSIS}")
    if len(spec.local_indexes) > MAX_LSIS:
        raise fail("localIndexes", f"{len(spec.local_indexes)} indexes", f"at most {MAX_LSIS}")
    if spec.local_indexes and spec.sort is None:
        raise fail(
            f"localIndexes.{spec.local_indexes[0].name}",
            "a local index on a table without a sort key",
            "local indexes only on tables that have a sort key",
        )

    index_names: set[str] = set()
    projected = 0
    indexes: Iterable[GlobalIndex | LocalIndex] = (*spec.global_indexes, *spec.local_indexes)
    for index in indexes:
        kind = "globalIndexes" if isinstance(index, GlobalIndex) else "localIndexes"
        if not NAME_PATTERN.fullmatch(index.name):
            raise fail(f"{kind}.name", index.name, NAME_RULE)
        if index.name in index_names:
            raise fail(f"{kind}.name", index.name, "index names unique within the table")
        index_names.add(index.name)
        if isinstance(index, GlobalIndex):
            for role, keys in (("partition", index.partition), ("sort", index.sort)):
                if role == "partition" and not keys:
                    raise fail(f"{kind}.{index.name}.partition", "no attributes", "1 to 4 attributes")
                if len(keys) > MAX_KEY_ATTRIBUTES_PER_ROLE:
                    raise fail(
                        f"{kind}.{index.name}.{role}",
                        f"{len(keys)} attributes",
                        f"1 to {MAX_KEY_ATTRIBUTES_PER_ROLE} attributes",
                    )
        problem = projection_problem(index.projection, index.non_key_attributes)
        if problem is not None:
            raise fail(f"{kind}.{index.name}.nonKeyAttributes", *problem)
        projected += len(index.non_key_attributes)
    if projected > MAX_PROJECTED_NON_KEY_ATTRIBUTES:
        raise fail(
            "nonKeyAttributes",
            f"{projected} projected non-key attributes across all indexes",
            f"at most {MAX_PROJECTED_NON_KEY_ATTRIBUTES}",
        )

    if spec.ttl_attribute is not None:
        primary = {k.name for k in spec.primary_key}
        if spec.ttl_attribute in primary:
            raise fail("ttlAttribute", spec.ttl_attribute, "an attribute that is not part of the primary key")
        if spec.ttl_attribute in types and types[spec.ttl_attribute][0] != "N":
            # TTL only acts on Number epoch seconds; an index key of another type never expires.
            raise fail(
                "ttlAttribute",
                f"{spec.ttl_attribute}:{types[spec.ttl_attribute][0]}",
                "a Number attribute (epoch seconds)",
            )

    if spec.billing_mode not in (ON_DEMAND, PROVISIONED):
        raise fail("billingMode", spec.billing_mode, f"{ON_DEMAND} or {PROVISIONED}")
    if spec.billing_mode == ON_DEMAND:
        if spec.capacity is not None:
            raise fail("capacity", f"{spec.capacity.read} RCU / {spec.capacity.write} WCU",
                       f"no capacity settings with {ON_DEMAND} billing")
        for gsi in spec.global_indexes:
            if gsi.capacity is not None:
                raise fail(f"globalIndexes.{gsi.name}.capacity",
                           f"{gsi.capacity.read} RCU / {gsi.capacity.write} WCU",
                           f"no capacity settings with {ON_DEMAND} billing")
    else:
        # A GSI without capacity of its own inherits the table's (index_capacity), as aws-cdk does.
        if spec.capacity is None:
            raise fail("capacity", None, f"read and write capacity with {PROVISIONED} billing")
        for place, capacity in [("capacity", spec.capacity), *((f"globalIndexes.{gsi.name}.capacity", gsi.capacity)
                                                              for gsi in spec.global_indexes)]:
            if capacity is not None and (capacity.read < 1 or capacity.write < 1):
                raise fail(place, f"{capacity.read} RCU / {capacity.write} WCU",
                           "at least 1 read and 1 write capacity unit")

    guarded = [("", spec.on_demand_limits, spec.warm_throughput)] + [
        (f"globalIndexes.{gsi.name}.", gsi.on_demand_limits, gsi.warm_throughput) for gsi in spec.global_indexes]
    for prefix, limits, warm in guarded:
        if limits is not None:
            units = (limits.max_read_request_units, limits.max_write_request_units)
            if spec.billing_mode != ON_DEMAND:
                raise fail(f"{prefix}onDemandLimits", f"{units[0]} read / {units[1]} write request units",
                           f"no on-demand maximum with {spec.billing_mode} billing (capacity bounds it)")
            if units == (None, None) or any(unit is not None and unit < 1 for unit in units):
                raise fail(f"{prefix}onDemandLimits", f"{units[0]} read / {units[1]} write request units",
                           "a maximum of at least 1 read or write request unit a second (None: no maximum)")
        if warm is not None:
            for name, value, minimum in (("readUnitsPerSecond", warm.read_units_per_second, MIN_WARM_READ_UNITS),
                                         ("writeUnitsPerSecond", warm.write_units_per_second, MIN_WARM_WRITE_UNITS)):
                if value is not None and value < minimum:
                    raise fail(f"{prefix}warmThroughput.{name}", value,
                               f"at least {minimum:,} (what every new table starts with; None: the default)")

    if spec.sizing is not None:
        if spec.sizing.items < 0:
            raise fail("sizing.items", spec.sizing.items, "0 or more items")
        if not 1 <= spec.sizing.average_item_bytes <= MAX_ITEM_BYTES:
            raise fail("sizing.averageItemBytes", spec.sizing.average_item_bytes,
                       f"1 to {MAX_ITEM_BYTES} bytes (DynamoDB's item size limit is 400 KB)")

    if spec.stream is not None and not spec.stream.consumers:
        raise fail("stream.consumers", [], "at least one consumer; a stream nobody reads is a cost")
