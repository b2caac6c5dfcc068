"""Table schema documents: the declared model and live tables in one comparable shape.

A table's schema is two files:
- `<table>.json`: exactly a CreateTable request (with Tags and DeletionProtectionEnabled), so
  `aws dynamodb create-table --cli-input-json file://<table>.json` works as-is;
- `<table>.settings.json`: what CreateTable cannot say, each section the request of its own API:
  `TimeToLive` (UpdateTimeToLive) and `ContinuousBackups` (UpdateContinuousBackups).

`declared_schema` renders a TablePlan (the same plan the Pulumi program builds from);
`scripts/live.py` reads a live table into the same `TableSchema`; the settings registry
(`scripts/table_settings.py`) reads either into structured field -> value, which drift, plan and create compare.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.model.plan import TablePlan, on_demand_limits
from components.model.spec import (
    ATTRIBUTE_TYPES,
    MAX_KEY_ATTRIBUTES_PER_ROLE,
    NAME_PATTERN,
    NAME_RULE,
    PITR_PERIOD_RANGE,
    PROVISIONED,
    Capacity,
    GlobalIndex,
    Key,
    LocalIndex,
    ModelError,
    OnDemandLimits,
    Projection,
    Stream,
    StreamViewType,
    TableClass,
    TableSpec,
    WarmThroughput,
    attribute_definitions,
    index_capacity,
    index_key_schema,
    projection,
    table_key_schema,
    validate_spec,
)
from components.model.tags import MAX_TAGS, tag_problem
from scripts.errors import ToolError

SETTINGS_SUFFIX = ".settings.json"
CREATE_TABLE_KEYS = {
    "AttributeDefinitions", "TableName", "KeySchema", "LocalSecondaryIndexes", "GlobalSecondaryIndexes",
    "BillingMode", "ProvisionedThroughput", "StreamSpecification", "SSESpecification", "Tags", "TableClass",
    "DeletionProtectionEnabled", "WarmThroughput", "ResourcePolicy", "OnDemandThroughput",
}


@dataclass
class TableSchema:
    create: dict[str, Any]
    ttl_attribute: str | None
    pitr_enabled: bool
    pitr_days: int | None
    source: str = ""  # the schema file it was read from, for messages

    @property
    def name(self) -> str:
        return str(self.create["TableName"])

    def settings(self) -> dict[str, Any]:
        return {
            "TimeToLive": {"TableName": self.name, "TimeToLiveSpecification": {
                "AttributeName": self.ttl_attribute, "Enabled": True}} if self.ttl_attribute else None,
            "ContinuousBackups": {"TableName": self.name, "PointInTimeRecoverySpecification": {
                "PointInTimeRecoveryEnabled": self.pitr_enabled,
                **({"RecoveryPeriodInDays": self.pitr_days} if self.pitr_enabled and self.pitr_days else {})}},
        }


def _throughput(capacity: Capacity | None) -> dict[str, Any]:
    if capacity is None:
        return {}
    return {"ProvisionedThroughput": {"ReadCapacityUnits": capacity.read, "WriteCapacityUnits": capacity.write}}


def _guards(limits: OnDemandLimits | None, warm: WarmThroughput | None) -> dict[str, Any]:
    """OnDemandThroughput and WarmThroughput in CreateTable's shape, where declared."""
    shape: dict[str, Any] = {}
    if limits is not None:
        shape["OnDemandThroughput"] = {name: value for name, value in (
            ("MaxReadRequestUnits", limits.max_read_request_units),
            ("MaxWriteRequestUnits", limits.max_write_request_units)) if value is not None}
    if warm is not None:
        shape["WarmThroughput"] = {name: value for name, value in (
            ("ReadUnitsPerSecond", warm.read_units_per_second),
            ("WriteUnitsPerSecond", warm.write_units_per_second)) if value is not None}
    return shape


def declared_schema(plan: TablePlan) -> TableSchema:
    spec, settings = plan.spec, plan.settings
    create: dict[str, Any] = {
        "TableName": plan.name,
        "AttributeDefinitions": [{"AttributeName": k.name, "AttributeType": k.type}
                                 for k in attribute_definitions(spec)],
        "KeySchema": table_key_schema(spec),
        "BillingMode": spec.billing_mode,
    }
    create.update(_throughput(spec.capacity))
    create.update(_guards(on_demand_limits(plan), spec.warm_throughput))
    if spec.global_indexes:
        create["GlobalSecondaryIndexes"] = [
            {"IndexName": index.name, "KeySchema": index_key_schema(spec, index),
             "Projection": projection(index),
             **_throughput(index_capacity(spec, index)),
             **_guards(on_demand_limits(plan, index), index.warm_throughput)}
            for index in spec.global_indexes]
    if spec.local_indexes:
        create["LocalSecondaryIndexes"] = [
            {"IndexName": index.name, "KeySchema": index_key_schema(spec, index),
             "Projection": projection(index)}
            for index in spec.local_indexes]
    from scripts.table_settings import declared_entries  # the registry builds on TableSchema, defined here

    create.update(declared_entries(plan))  # stream, encryption, table class, deletion protection, ...
    create["Tags"] = [{"Key": key, "Value": value} for key, value in sorted(plan.tags.items())]
    return TableSchema(create=create, ttl_attribute=spec.ttl_attribute, pitr_enabled=settings.pitr_enabled,
                       pitr_days=settings.pitr_recovery_period_days if settings.pitr_enabled else None)


# --- the comparable form ------------------------------------------------------------------------

def comparable(schema: TableSchema) -> dict[str, str]:
    """Field -> value as words, one entry per thing drift reports on (the settings registry's fields).
    Absent fields mean "not there". Comparisons use the registry's structured values; this is for reading."""
    from scripts.table_settings import shown, values  # the registry builds on TableSchema, defined here

    return {name: shown(name, value) for name, value in values(schema).items()}


# --- files --------------------------------------------------------------------------------------

def schema_paths(name: str, directory: Path) -> tuple[Path, Path]:
    """Where a table's two files go. A name is checked before it becomes a path: names can come over
    the network (`tables export`), and a valid DynamoDB name has no `/`, so it cannot leave the folder."""
    if not NAME_PATTERN.fullmatch(name):
        raise ToolError("UnsafeName", f"table name {name!r} is not a valid DynamoDB table name ({NAME_RULE}); "
                                      f"no file written for it in {directory}", where=name)
    table_file, settings_file = directory / f"{name}.json", directory / f"{name}{SETTINGS_SUFFIX}"
    for path in (table_file, settings_file):
        if path.resolve().parent != directory.resolve():
            raise ToolError("UnsafeName", f"table name {name!r} would write outside {directory}", where=name)
    return table_file, settings_file


def write_schema(schema: TableSchema, directory: Path) -> list[Path]:
    table_file, settings_file = schema_paths(schema.name, directory)
    directory.mkdir(parents=True, exist_ok=True)
    table_file.write_text(json.dumps(schema.create, indent=2) + "\n")
    settings_file.write_text(json.dumps(schema.settings(), indent=2) + "\n")
    return [table_file, settings_file]


def _load_json(path: Path) -> Any:
    data = path.read_bytes()
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ToolError("InvalidSchema", f"{path}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset "
                                         f"{error.start}); save it as UTF-8", where=str(path)) from None
    except json.JSONDecodeError as error:
        raise ToolError("InvalidSchema", f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None


def read_schema(table_file: Path) -> TableSchema:
    """A schema from its two files; one clear error naming the file for anything malformed."""
    create = _load_json(table_file)
    if not isinstance(create, dict):
        raise ToolError("InvalidSchema", f"{table_file}: expected a CreateTable request object")
    unknown = sorted(set(create) - CREATE_TABLE_KEYS)
    if unknown:
        raise ToolError("InvalidSchema", f"{table_file}: unknown CreateTable keys {', '.join(unknown)}")
    for required in ("TableName", "KeySchema", "AttributeDefinitions"):
        if required not in create:
            raise ToolError("InvalidSchema", f"{table_file}: missing {required}")
    settings_file = table_file.with_name(table_file.name[:-len(".json")] + SETTINGS_SUFFIX)
    settings = _load_json(settings_file) if settings_file.is_file() else {}
    if not isinstance(settings, dict):
        raise ToolError("InvalidSchema", f"{settings_file}: expected an object with TimeToLive and ContinuousBackups")
    ttl = (settings.get("TimeToLive") or {}).get("TimeToLiveSpecification") or {}
    pitr = (settings.get("ContinuousBackups") or {}).get("PointInTimeRecoverySpecification") or {}
    schema = TableSchema(create=create, ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
                         pitr_enabled=bool(pitr.get("PointInTimeRecoveryEnabled")),
                         pitr_days=pitr.get("RecoveryPeriodInDays"), source=table_file.name)
    return checked_schema(schema)


def checked_schema(schema: TableSchema) -> TableSchema:
    """The one check every table passes before `tables create` makes any call, wherever it comes from (a
    schema file, the model, an exported table): the model's rules, tags and PITR as AWS takes them.

    Returns the request as it will be sent: a PROVISIONED table's index without throughput of its own
    gets the table's, which the model says it inherits (DynamoDB refuses such an index without one).
    """
    try:
        spec = spec_from_schema(schema)
        _check_tags(schema.create.get("Tags"))
        _check_pitr(schema)
    except ModelError as error:
        where = schema.source or f"table '{schema.name}'"
        raise ToolError("InvalidSchema", f"{where}: {error}", where=where) from None
    for request, index in zip(schema.create.get("GlobalSecondaryIndexes") or [], spec.global_indexes, strict=True):
        if "ProvisionedThroughput" not in request:
            request.update(_throughput(index_capacity(spec, index)))
    return schema


def _check_tags(tags: Any) -> None:
    """DynamoDB TagResource's rules (components/model/tags.py), as the stack config checks them."""
    if tags is None:
        return
    if not isinstance(tags, list) or not all(isinstance(tag, dict) and set(tag) == {"Key", "Value"} for tag in tags):
        raise _field("Tags", tags, "a list of {Key, Value}")
    for i, tag in enumerate(tags):
        problem = tag_problem(tag["Key"], tag["Value"]) if isinstance(tag["Key"], str) else "tag names as strings"
        if problem is not None:
            raise _field(f"Tags[{i}]", tag, problem)
    if len(tags) > MAX_TAGS:
        raise _field("Tags", f"{len(tags)} tags", f"at most {MAX_TAGS} tags on a table (AWS's limit)")


def _check_pitr(schema: TableSchema) -> None:
    """UpdateContinuousBackups: RecoveryPeriodInDays 1 to 35, and only with PITR on (it is dropped otherwise)."""
    place = "ContinuousBackups.PointInTimeRecoverySpecification.RecoveryPeriodInDays"
    if schema.pitr_days is None:
        return
    if not schema.pitr_enabled:
        raise _field(place, schema.pitr_days, "no recovery period while PointInTimeRecoveryEnabled is false; remove "
                                              "it or turn PITR on")
    low, high = PITR_PERIOD_RANGE
    if isinstance(schema.pitr_days, bool) or not isinstance(schema.pitr_days, int) or not (
            low <= schema.pitr_days <= high):
        raise _field(place, schema.pitr_days, f"a whole number of days from {low} to {high}")


def _field(name: str, given: object, allowed: str) -> ModelError:
    return ModelError(f"field '{name}': given {json.dumps(given, default=str)}; allowed: {allowed}")


def _keys(key_schema: Any, place: str, types: dict[str, str], max_per_role: int) -> tuple[list[Key], list[Key]]:
    """A KeySchema as (partition keys, sort keys), HASH before RANGE, every attribute defined."""
    if not isinstance(key_schema, list) or not key_schema:
        raise _field(place, key_schema, "a list of {AttributeName, KeyType} entries")
    roles: dict[str, list[Key]] = {"HASH": [], "RANGE": []}
    for i, element in enumerate(key_schema):
        where = f"{place}[{i}]"
        if not isinstance(element, dict) or element.get("KeyType") not in roles:
            raise _field(where, element, "{AttributeName, KeyType} with KeyType HASH or RANGE")
        name = element.get("AttributeName")
        if name not in types:
            raise _field(f"{where}.AttributeName", name, "an attribute declared in AttributeDefinitions")
        if element["KeyType"] == "HASH" and roles["RANGE"]:
            raise _field(where, element, "HASH attributes before RANGE ones")
        roles[element["KeyType"]].append(Key(name, types[name]))  # type: ignore[arg-type]
    for role, keys in roles.items():
        if len(keys) > max_per_role or (role == "HASH" and not keys):
            raise _field(place, key_schema, f"1 to {max_per_role} HASH and 0 to {max_per_role} RANGE attributes")
    return roles["HASH"], roles["RANGE"]


def _projection(value: Any, place: str) -> tuple[Projection, tuple[str, ...]]:
    if not isinstance(value, dict) or value.get("ProjectionType", "ALL") not in {p.value for p in Projection}:
        raise _field(f"{place}.Projection", value, "{ProjectionType: ALL, KEYS_ONLY or INCLUDE}")
    non_key = value.get("NonKeyAttributes") or []
    if not isinstance(non_key, list) or not all(isinstance(a, str) for a in non_key):
        raise _field(f"{place}.Projection.NonKeyAttributes", non_key, "a list of attribute names")
    return Projection(value.get("ProjectionType", "ALL")), tuple(non_key)


def _capacity(value: Any, place: str) -> Capacity | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(value.get(k), int) for k in
                                               ("ReadCapacityUnits", "WriteCapacityUnits")):
        raise _field(place, value, "{ReadCapacityUnits, WriteCapacityUnits} as whole numbers")
    return Capacity(value["ReadCapacityUnits"], value["WriteCapacityUnits"])


def spec_from_schema(schema: TableSchema) -> TableSpec:
    """The table model of a CreateTable request, checked with the model's own rules (ModelError).

    What `tables create --schemas` validates before any call, and what `tables scaffold` prints.
    """
    create = schema.create
    name = create.get("TableName")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise _field("TableName", name, NAME_RULE)
    definitions = create.get("AttributeDefinitions")
    if not isinstance(definitions, list):
        raise _field("AttributeDefinitions", definitions, "a list of {AttributeName, AttributeType}")
    types: dict[str, str] = {}
    for i, definition in enumerate(definitions):
        place = f"AttributeDefinitions[{i}]"
        if not isinstance(definition, dict) or not isinstance(definition.get("AttributeName"), str):
            raise _field(place, definition, "{AttributeName, AttributeType}")
        attribute, attribute_type = definition["AttributeName"], definition.get("AttributeType")
        if attribute_type not in ATTRIBUTE_TYPES:
            raise _field(f"{place}.AttributeType", attribute_type, "S, N or B")
        if types.get(attribute, attribute_type) != attribute_type:
            raise _field(place, f"{attribute}:{attribute_type}",
                         f"one type per attribute ('{attribute}' is declared {types[attribute]} already)")
        types[attribute] = attribute_type
    partition, sort = _keys(create.get("KeySchema"), "KeySchema", types, 1)
    global_indexes = []
    for i, index in enumerate(create.get("GlobalSecondaryIndexes") or []):
        place = f"GlobalSecondaryIndexes[{i}]"
        if not isinstance(index, dict) or not isinstance(index.get("IndexName"), str):
            raise _field(place, index, "{IndexName, KeySchema, Projection}")
        index_partition, index_sort = _keys(index.get("KeySchema"), f"{place}.KeySchema", types,
                                            MAX_KEY_ATTRIBUTES_PER_ROLE)
        projection_type, non_key = _projection(index.get("Projection", {}), place)
        global_indexes.append(GlobalIndex(index["IndexName"], tuple(index_partition), tuple(index_sort),
                                          projection_type, non_key,
                                          capacity=_capacity(index.get("ProvisionedThroughput"),
                                                             f"{place}.ProvisionedThroughput")))
    local_indexes = []
    for i, index in enumerate(create.get("LocalSecondaryIndexes") or []):
        place = f"LocalSecondaryIndexes[{i}]"
        if not isinstance(index, dict) or not isinstance(index.get("IndexName"), str):
            raise _field(place, index, "{IndexName, KeySchema, Projection}")
        index_partition, index_sort = _keys(index.get("KeySchema"), f"{place}.KeySchema", types, 1)
        if index_partition != partition or len(index_sort) != 1:
            raise _field(f"{place}.KeySchema", index.get("KeySchema"),
                         "the table's partition key (HASH) and one sort key (RANGE)")
        projection_type, non_key = _projection(index.get("Projection", {}), place)
        local_indexes.append(LocalIndex(index["IndexName"], index_sort[0], projection_type, non_key))
    used = {key.name for key in (*partition, *sort)} | {k.name for index in global_indexes
                                                         for k in (*index.partition, *index.sort)}
    used |= {index.sort.name for index in local_indexes}
    unused = sorted(set(types) - used)
    if unused:
        raise _field("AttributeDefinitions", unused, "only attributes that a key uses (DynamoDB rejects others)")
    stream = create.get("StreamSpecification") or {}
    view_type = stream.get("StreamViewType") if stream.get("StreamEnabled") else None
    if stream.get("StreamEnabled") and view_type not in {v.value for v in StreamViewType}:
        raise _field("StreamSpecification.StreamViewType", view_type, ", ".join(v.value for v in StreamViewType))
    table_class = create.get("TableClass", "STANDARD")
    if table_class not in {c.value for c in TableClass}:
        raise _field("TableClass", table_class, ", ".join(c.value for c in TableClass))
    spec = TableSpec(
        key=name, base_name=name, env_var="", description="",
        partition=partition[0], sort=sort[0] if sort else None,
        global_indexes=tuple(global_indexes), local_indexes=tuple(local_indexes),
        ttl_attribute=schema.ttl_attribute,
        stream=Stream(StreamViewType(view_type), consumers=("unknown",)) if view_type else None,
        table_class=TableClass(table_class), billing_mode=create.get("BillingMode", PROVISIONED),
        capacity=_capacity(create.get("ProvisionedThroughput"), "ProvisionedThroughput"),
    )
    validate_spec("", spec, where=f"table '{name}'")
    return spec


def read_schema_dir(directory: Path) -> list[TableSchema]:
    if not directory.is_dir():
        raise ToolError("InvalidSchema", f"{directory}: no such directory")
    files = sorted(p for p in directory.glob("*.json") if not p.name.endswith(SETTINGS_SUFFIX))
    if not files:
        raise ToolError("InvalidSchema", f"{directory}: no <table>.json schema files")
    return [read_schema(path) for path in files]
