"""The table settings registry: one entry per setting the program declares on a table.

Each entry says which pulumi-aws property carries the setting, how it is read from a `TableSchema` (the
shape both `declared_schema` and `read_live` produce, so the same reader serves the model and the live
table), how a value is shown, how a change to it is classified (the rule, and the provider code it comes
from), and which local endpoints support it. `drift`, `plan`, the import check, `restore` and
`comparable` (schema files) iterate this registry and compare the structured values it reads.

A new table-level setting (warm throughput, on-demand throughput) is its spec field (components/model/spec.py),
its program line (components/resources/table.py), one entry here with `declare` and `copy` (schema files and
live reads iterate them), and its put-back step or carried-by-restore mark in scripts/restore.py.

The rules imitate the Terraform AWS provider's `aws_dynamodb_table`, which pulumi-aws 7.x is built on
(hashicorp/terraform-provider-aws, internal/service/dynamodb/table.go). Each rule names the function
(or schema attribute) it comes from; `docs/deployment.md` shows one real output per class.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from components.model.plan import TablePlan
from scripts.schema_files import TableSchema


class ChangeClass(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    INDEX_CREATE = "index-create"
    INDEX_DELETE = "index-delete"
    INDEX_REBUILD = "index-rebuild"
    REPLACE = "replace"
    BLOCKED = "blocked"
    # The model differs from the table, but `pulumi up` shows no diff and changes nothing (key attribute
    # types): the plan reports it on every run until the data moves to a new table or index.
    NOT_APPLIED = "not-applied"
    # The stream is disabled and enabled again in the same update: a new stream ARN.
    STREAM_CYCLE = "stream-cycle"


# Both local endpoints the tests and `make local` run. A setting an endpoint lacks is reported as
# "not checked: unsupported by this endpoint" (scripts/live.py records which calls the endpoint refused).
MOTO, DYNAMODB_LOCAL = "moto", "dynamodb-local"
BOTH = frozenset({MOTO, DYNAMODB_LOCAL})

# A structured, comparable value: str, int, bool, None or tuples of them (each reader documents its shape).
Value = Any


@dataclass(frozen=True)
class Setting:
    """One table setting, traced to the provider."""

    field: str  # the name drift and plan report; per-item settings (indexes, tags) report field.<item>
    properties: tuple[str, ...] | None  # pulumi-aws inputs it lives in; None: importIgnoreChanges cannot hold it
    read: Callable[[TableSchema], Mapping[str, Value]]  # reported field -> value; absent = not there
    show: Callable[[Value], str]
    rule: str  # the class a change gets, in words (the classifier in scripts/change_plan.py applies it)
    source: str  # where in the provider the rule comes from
    local: frozenset[str] = BOTH  # endpoints that implement it
    unsupported_as: str | None = None  # the LiveTable.unsupported feature that hides it on an endpoint
    per_item: bool = False
    floor: bool = False  # live at or above the declared value is in sync (scripts/drift.py in_sync)
    # The CreateTable request entries the setting adds (schema_files.declared_schema), and the same entries
    # copied from DescribeTable's Table (live.read_live). A setting without them is part of the table's shape
    # (keys, indexes, billing and the throughput tied to it) or is read through a call of its own (TTL,
    # continuous backups, tags), which those two modules build themselves.
    declare: Callable[[TablePlan], Mapping[str, Any]] | None = None
    copy: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None


# --- readers: a TableSchema (declared or live) to structured values -------------------------------

def _types(schema: TableSchema) -> dict[str, str]:
    return {a["AttributeName"]: a["AttributeType"] for a in schema.create.get("AttributeDefinitions", [])}


KeyElement = tuple[str, str, str]  # attribute name, attribute type, HASH | RANGE


def _key_tuple(key_schema: list[dict[str, str]], types: Mapping[str, str]) -> tuple[KeyElement, ...]:
    return tuple((k["AttributeName"], types.get(k["AttributeName"], "?"), k["KeyType"]) for k in key_schema)


def _read_keys(schema: TableSchema) -> dict[str, Value]:
    return {"keys": _key_tuple(schema.create["KeySchema"], _types(schema))}


def _throughput(entry: Mapping[str, Any]) -> tuple[int, int] | None:
    throughput = entry.get("ProvisionedThroughput")
    if not throughput or not throughput.get("ReadCapacityUnits"):
        return None
    return int(throughput["ReadCapacityUnits"]), int(throughput["WriteCapacityUnits"])


def _read_billing(schema: TableSchema) -> dict[str, Value]:
    return {"billingMode": schema.create.get("BillingMode", "PROVISIONED")}


def _read_capacity(schema: TableSchema) -> dict[str, Value]:
    capacity = _throughput(schema.create)
    return {"capacity": capacity} if capacity else {}


def _read_stream(schema: TableSchema) -> dict[str, Value]:
    stream = schema.create.get("StreamSpecification") or {}
    return {"stream": stream.get("StreamViewType") if stream.get("StreamEnabled") else None}


def _read_table_class(schema: TableSchema) -> dict[str, Value]:
    return {"tableClass": schema.create.get("TableClass", "STANDARD")}


def _read_deletion_protection(schema: TableSchema) -> dict[str, Value]:
    return {"deletionProtection": bool(schema.create.get("DeletionProtectionEnabled"))}


def _read_ttl(schema: TableSchema) -> dict[str, Value]:
    return {"ttl": schema.ttl_attribute}


def _read_pitr(schema: TableSchema) -> dict[str, Value]:
    return {"pitr": (True, schema.pitr_days) if schema.pitr_enabled else (False, None)}


def _read_encryption(schema: TableSchema) -> dict[str, Value]:
    sse = schema.create.get("SSESpecification") or {}
    return {"encryption": sse.get("SSEType", "KMS") if sse.get("Enabled") else None}


def _read_kms_key(schema: TableSchema) -> dict[str, Value]:
    sse = schema.create.get("SSESpecification") or {}
    return {"encryption.kmsKey": sse["KMSMasterKeyId"]} if sse.get("KMSMasterKeyId") else {}


IndexValue = tuple[tuple[KeyElement, ...], str, tuple[str, ...]]  # keys, projection type, non-key attributes


def _index_value(index: Mapping[str, Any], types: Mapping[str, str]) -> IndexValue:
    projection = index.get("Projection", {})
    return (_key_tuple(index["KeySchema"], types), projection.get("ProjectionType", "ALL"),
            tuple(sorted(projection.get("NonKeyAttributes") or ())))


def _read_global_indexes(schema: TableSchema) -> dict[str, Value]:
    types = _types(schema)
    return {f"globalIndexes.{index['IndexName']}": _index_value(index, types)
            for index in schema.create.get("GlobalSecondaryIndexes") or []}


def _read_global_index_capacity(schema: TableSchema) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for index in schema.create.get("GlobalSecondaryIndexes") or []:
        capacity = _throughput(index)
        if capacity:
            values[f"globalIndexes.{index['IndexName']}.capacity"] = capacity
    return values


def _read_local_indexes(schema: TableSchema) -> dict[str, Value]:
    types = _types(schema)
    return {f"localIndexes.{index['IndexName']}": _index_value(index, types)
            for index in schema.create.get("LocalSecondaryIndexes") or []}


Units = tuple[int | None, int | None]  # (read, write) units a second; None: not set


def _units(entry: Mapping[str, Any], shape: str, read: str, write: str) -> Units | None:
    """A table's or index's OnDemandThroughput or WarmThroughput as (read, write); None where not there.
    -1 is UpdateTable's "no maximum"."""
    body = entry.get(shape) or {}
    units = tuple(None if body.get(key) in (None, -1) else int(body[key]) for key in (read, write))
    return None if units == (None, None) else (units[0], units[1])


def _read_on_demand(schema: TableSchema) -> dict[str, Value]:
    units = _units(schema.create, "OnDemandThroughput", "MaxReadRequestUnits", "MaxWriteRequestUnits")
    return {"onDemandMaximum": units} if units else {}


def _read_warm(schema: TableSchema) -> dict[str, Value]:
    units = _units(schema.create, "WarmThroughput", "ReadUnitsPerSecond", "WriteUnitsPerSecond")
    return {"warmThroughput": units} if units else {}


def _read_index_guards(shape: str, field_name: str, read: str, write: str) -> Callable[[TableSchema],
                                                                                        dict[str, Value]]:
    def reader(schema: TableSchema) -> dict[str, Value]:
        found: dict[str, Value] = {}
        for index in schema.create.get("GlobalSecondaryIndexes") or []:
            units = _units(index, shape, read, write)
            if units:
                found[f"globalIndexes.{index['IndexName']}.{field_name}"] = units
        return found
    return reader


def _show_units(value: Value) -> str:
    read, write = value
    return ", ".join(f"{units} {side}" for units, side in ((read, "read"), (write, "write")) if units is not None)


def _read_tags(schema: TableSchema) -> dict[str, Value]:
    return {f"tags.{tag['Key']}": tag["Value"] for tag in schema.create.get("Tags") or []}


# --- request entries: the model's (CreateTable) and the live table's (DescribeTable) ---------------

def _declare_stream(plan: TablePlan) -> dict[str, Any]:
    stream = plan.spec.stream
    return {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": stream.view_type.value}
            if stream else {"StreamEnabled": False}}


def _copy_stream(table: Mapping[str, Any]) -> dict[str, Any]:
    stream = table.get("StreamSpecification") or {}
    return {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
            if stream.get("StreamEnabled") else {"StreamEnabled": False}}


def _declare_encryption(plan: TablePlan) -> dict[str, Any]:
    key = plan.settings.kms_key_arn
    return {"SSESpecification": {"Enabled": True, "SSEType": "KMS", **({"KMSMasterKeyId": key} if key else {})}}


def _copy_encryption(table: Mapping[str, Any]) -> dict[str, Any]:
    sse = table.get("SSEDescription")
    if sse and sse.get("Status") in ("ENABLED", "ENABLING", "UPDATING"):
        return {"SSESpecification": {"Enabled": True, "SSEType": sse.get("SSEType", "KMS"),
                                     **({"KMSMasterKeyId": sse["KMSMasterKeyArn"]}
                                        if sse.get("KMSMasterKeyArn") else {})}}
    return {"SSESpecification": {"Enabled": False}}


def _declare_table_class(plan: TablePlan) -> dict[str, Any]:
    return {"TableClass": plan.spec.table_class.value}


def _copy_table_class(table: Mapping[str, Any]) -> dict[str, Any]:
    return {"TableClass": (table.get("TableClassSummary") or {}).get("TableClass", "STANDARD")}


def _declare_deletion_protection(plan: TablePlan) -> dict[str, Any]:
    return {"DeletionProtectionEnabled": plan.settings.deletion_protection}


def _copy_deletion_protection(table: Mapping[str, Any]) -> dict[str, Any]:
    return {"DeletionProtectionEnabled": bool(table.get("DeletionProtectionEnabled"))}


# --- how values are shown (the words drift and plan have always printed) ---------------------------

def show_keys(value: Value) -> str:
    return ", ".join(f"{name}:{kind} {role}" for name, kind, role in value)


def _show_index(value: Value) -> str:
    keys, projection, non_key = value
    text = f"keys {show_keys(keys)}; projection {projection}"
    return f"{text} ({', '.join(non_key)})" if non_key else text


def _show_capacity(value: Value) -> str:
    read, write = value
    return f"{read} read, {write} write"


def _show_on_off(value: Value) -> str:
    return "on" if value else "off"


def _show_optional(value: Value) -> str:
    return "off" if value is None else str(value)


def _show_pitr(value: Value) -> str:
    enabled, days = value
    return (f"on, {days} days" if days else "on") if enabled else "off"


def _show_encryption(value: Value) -> str:
    return "off (AWS owned key)" if value is None else str(value)


TF = "hashicorp/terraform-provider-aws internal/service/dynamodb/table.go"

SETTINGS: tuple[Setting, ...] = (
    Setting("keys", None, _read_keys, show_keys,
            "a key attribute's name added, removed or changed: replace (the table is deleted and created empty); "
            "only a key attribute's type changed: not-applied (also when a global index changes in the same "
            "deploy: then pulumi up shows the `attribute` change, but the type stays)",
            f"{TF}: resourceTable's schema, hash_key and range_key are ForceNew, `attribute` is not; the last "
            "CustomizeDiff function in resourceTable's customdiff.All clears `attribute` when "
            "HasChange(\"attribute\") && !HasChange(\"global_secondary_index\") (pulumi-aws#1057); when it keeps "
            "it, resourceTableUpdate has no `attribute` branch and sends AttributeDefinitions only with phase 3's "
            "Create actions, where DynamoDB keeps an existing attribute's type"),
    Setting("billingMode", ("billingMode",), _read_billing, str,
            "update in place",
            f"{TF}: resourceTableUpdate, HasChanges(\"billing_mode\", \"read_capacity\", \"write_capacity\") -> "
            "one UpdateTable with the table's other changes"),
    Setting("capacity", ("readCapacity", "writeCapacity"), _read_capacity, _show_capacity,
            "update in place",
            f"{TF}: resourceTableUpdate, HasChanges(\"billing_mode\", \"read_capacity\", \"write_capacity\") -> "
            "UpdateTable with expandProvisionedThroughputUpdate"),
    Setting("stream", ("streamEnabled", "streamViewType"), _read_stream, _show_optional,
            "on or off: update in place; a new view type while on: stream-cycle (a new stream ARN)",
            f"{TF}: resourceTableUpdate, HasChange(\"stream_enabled\") -> UpdateTable(StreamSpecification); "
            "!HasChange(\"stream_enabled\") && HasChange(\"stream_view_type\") with the stream on -> "
            "cycleStreamEnabled (UpdateTable StreamEnabled false, waitTableActive, UpdateTable StreamEnabled true "
            "with the new type, waitTableActive); resourceTable's CustomizeDiff marks stream_arn SetNewComputed "
            "on either change",
            declare=_declare_stream, copy=_copy_stream),
    Setting("tableClass", ("tableClass",), _read_table_class, str,
            "update in place",
            f"{TF}: resourceTableUpdate, HasChange(\"table_class\") -> an UpdateTable(TableClass) of its own, "
            "then waitTableActive (\"Table Class cannot be changed concurrently with other values\")",
            declare=_declare_table_class, copy=_copy_table_class),
    Setting("deletionProtection", ("deletionProtectionEnabled",), _read_deletion_protection, _show_on_off,
            "update in place; while on, a replacement fails at its delete",
            f"{TF}: resourceTableUpdate, HasChange(\"deletion_protection_enabled\") -> "
            "DeletionProtectionEnabled in the table's one UpdateTable; resourceTableDelete -> deleteTable "
            "sends DeleteTable without turning it off and retries only LimitExceededException "
            "(\"simultaneously\") and ResourceInUseException, so DynamoDB's refusal fails the delete",
            declare=_declare_deletion_protection, copy=_copy_deletion_protection),
    Setting("ttl", ("ttl",), _read_ttl, _show_optional,
            "on or off: update in place; a new attribute while on: blocked (AWS refuses it as one step)",
            f"{TF}: resourceTableUpdate, HasChange(\"ttl\") -> updateTimeToLive (one UpdateTimeToLive call); the "
            "ttl block has DiffSuppressFunc verify.SuppressMissingOptionalConfigurationBlock, so the program "
            "must declare `enabled: false` to turn TTL off"),
    Setting("pitr", ("pointInTimeRecovery",), _read_pitr, _show_pitr,
            "update in place",
            f"{TF}: resourceTableUpdate, HasChange(\"point_in_time_recovery\") -> updatePITR "
            "(UpdateContinuousBackups)",
            local=frozenset({MOTO}), unsupported_as="pitr"),
    Setting("encryption", ("serverSideEncryption",), _read_encryption, _show_encryption,
            "update in place",
            f"{TF}: resourceTableUpdate, HasChange(\"server_side_encryption\") -> an UpdateTable(SSESpecification) "
            "of its own (no replicas), then waitSSEUpdated; CustomizeDiff clears a change between two disabled "
            "states (isTableOptionDisabled)",
            local=frozenset({MOTO}), unsupported_as="encryption",
            declare=_declare_encryption, copy=_copy_encryption),
    Setting("encryption.kmsKey", ("serverSideEncryption",), _read_kms_key, str,
            "a key declared: update in place; none declared (the AWS-managed key): no diff, whatever key is live",
            f"{TF}: resourceTableUpdate, HasChange(\"server_side_encryption\") -> UpdateTable(SSESpecification "
            "with KMSMasterKeyId, expandEncryptAtRestOptions) of its own, then waitSSEUpdated; kms_key_arn is "
            "Optional + Computed, not ForceNew, so an unset key keeps the state's; resourceTableRead's "
            "clearSSEDefaultKey blanks the AWS-managed key's ARN",
            local=frozenset({MOTO}), unsupported_as="encryption"),
    Setting("globalIndexes", ("globalSecondaryIndexes",), _read_global_indexes, _show_index,
            "new: index-create (one per UpdateTable call); removed: index-delete; keys' names or projection "
            "changed: index-rebuild (delete, then create); only a key attribute's type changed: not-applied",
            f"{TF}: updateDiffGSI (Create for a new name, Delete for a removed one, Delete + Create when "
            "checkIfNonKeyAttributesChanged or checkIfGSIRecreateAttributesChanged); the set element names its "
            "key attributes without types, and customDiffGlobalSecondaryIndex clears a set change whose "
            "elements are equal by name", per_item=True),
    Setting("globalIndexes.capacity", ("globalSecondaryIndexes",), _read_global_index_capacity, _show_capacity,
            "update in place",
            f"{TF}: updateDiffGSI, capacityChanged with nothing to recreate and billing mode PROVISIONED -> an "
            "Update action, sent in resourceTableUpdate's phase 2 UpdateTable", per_item=True),
    Setting("localIndexes", None, _read_local_indexes, _show_index,
            "added, removed or changed: replace; only a key attribute's type changed: not-applied",
            f"{TF}: resourceTable's schema, local_secondary_index and all its fields are ForceNew; its range_key "
            "names the attribute without a type", per_item=True),
    Setting("onDemandMaximum", ("onDemandThroughput",), _read_on_demand, _show_units,
            "update in place",
            f"{TF}: resourceTableUpdate, HasChange(on_demand_throughput) -> UpdateTable(OnDemandThroughput)",
            local=frozenset({DYNAMODB_LOCAL}), unsupported_as="onDemandMaximum"),
    Setting("warmThroughput", ("warmThroughput",), _read_warm, _show_units,
            "a floor: live at or above the declared value is in sync; below it: update in place",
            f"{TF}: resourceTableUpdate, HasChange(warm_throughput) -> UpdateTable(WarmThroughput); compared "
            "exactly there, which AWS's own increases turn into a diff that never clears",
            local=frozenset({MOTO}), unsupported_as="warmThroughput", floor=True),
    Setting("globalIndexes.onDemandMaximum", ("globalSecondaryIndexes",),
            _read_index_guards("OnDemandThroughput", "onDemandMaximum", "MaxReadRequestUnits", "MaxWriteRequestUnits"),
            _show_units, "update in place",
            f"{TF}: updateDiffGSI, an on_demand_throughput change alone -> an Update action",
            local=frozenset({DYNAMODB_LOCAL}), unsupported_as="onDemandMaximum", per_item=True),
    Setting("globalIndexes.warmThroughput", ("globalSecondaryIndexes",),
            _read_index_guards("WarmThroughput", "warmThroughput", "ReadUnitsPerSecond", "WriteUnitsPerSecond"),
            _show_units, "a floor, as the table's",
            f"{TF}: updateDiffGSI, a warm_throughput change alone -> an Update action",
            local=frozenset({MOTO}), unsupported_as="warmThroughput", per_item=True, floor=True),
    Setting("tags", ("tags",), _read_tags, str,
            "update in place",
            f"{TF}: resourceTable is annotated @Tags(identifierAttribute=\"arn\"): the provider's transparent "
            "tagging updates tags_all in place (TagResource/UntagResource); resourceTableUpdate's "
            "HasChange(names.AttrTagsAll) only copies them to replicas",
            local=frozenset({MOTO}), unsupported_as="tags", per_item=True),
)

BY_FIELD = {setting.field: setting for setting in SETTINGS}


def setting_of(field_name: str) -> Setting:
    """The registry entry behind a reported field (`globalIndexes.by-status.capacity` -> the GSI capacity)."""
    if field_name in BY_FIELD:
        return BY_FIELD[field_name]
    head = field_name.split(".", 1)[0]
    if head == "globalIndexes":
        for suffix in ("capacity", "onDemandMaximum", "warmThroughput"):
            if field_name.endswith(f".{suffix}"):
                return BY_FIELD[f"globalIndexes.{suffix}"]
    return BY_FIELD[head]


def values(schema: TableSchema) -> dict[str, Value]:
    """Every reported field of a table and its structured value."""
    return {name: value for setting in SETTINGS for name, value in setting.read(schema).items()}


def shown(field_name: str, value: Value) -> str:
    return setting_of(field_name).show(value)


def declared_entries(plan: TablePlan) -> dict[str, Any]:
    """The CreateTable request entries of every setting that declares its own."""
    return {key: value for setting in SETTINGS if setting.declare for key, value in setting.declare(plan).items()}


def copied_entries(table: Mapping[str, Any]) -> dict[str, Any]:
    """The same entries, copied from DescribeTable's Table."""
    return {key: value for setting in SETTINGS if setting.copy for key, value in setting.copy(table).items()}


def entries() -> Iterator[Setting]:
    return iter(SETTINGS)
