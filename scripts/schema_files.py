"""Table schema documents: the declared model and live tables in one comparable shape.

A table's schema is two files:
- `<table>.json`: exactly a CreateTable request (with Tags and DeletionProtectionEnabled), so
  `aws dynamodb create-table --cli-input-json file://<table>.json` works as-is;
- `<table>.settings.json`: what CreateTable cannot say, each section the request of its own API:
  `TimeToLive` (UpdateTimeToLive) and `ContinuousBackups` (UpdateContinuousBackups).

`declared_schema` renders a TablePlan (the same plan the Pulumi program builds from);
`scripts/live.py` reads a live table into the same `TableSchema`; `comparable` flattens either
into field -> value, which is what drift, create and the agreement tests compare.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.model.plan import TablePlan
from components.model.spec import attribute_definitions, index_key_schema, projection, table_key_schema
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


def declared_schema(plan: TablePlan) -> TableSchema:
    spec, settings = plan.spec, plan.settings
    create: dict[str, Any] = {
        "TableName": plan.name,
        "AttributeDefinitions": [{"AttributeName": k.name, "AttributeType": k.type}
                                 for k in attribute_definitions(spec)],
        "KeySchema": table_key_schema(spec),
        "BillingMode": spec.billing_mode,
    }
    if spec.capacity is not None:
        create["ProvisionedThroughput"] = {"ReadCapacityUnits": spec.capacity.read,
                                           "WriteCapacityUnits": spec.capacity.write}
    if spec.global_indexes:
        create["GlobalSecondaryIndexes"] = [
            {"IndexName": index.name, "KeySchema": index_key_schema(spec, index),
             "Projection": projection(index),
             **({"ProvisionedThroughput": {"ReadCapacityUnits": index.capacity.read,
                                           "WriteCapacityUnits": index.capacity.write}} if index.capacity else {})}
            for index in spec.global_indexes]
    if spec.local_indexes:
        create["LocalSecondaryIndexes"] = [
            {"IndexName": index.name, "KeySchema": index_key_schema(spec, index),
             "Projection": projection(index)}
            for index in spec.local_indexes]
    create["StreamSpecification"] = ({"StreamEnabled": True, "StreamViewType": spec.stream.view_type.value}
                                     if spec.stream else {"StreamEnabled": False})
    create["SSESpecification"] = {"Enabled": True, "SSEType": "KMS",
                                  **({"KMSMasterKeyId": settings.kms_key_arn} if settings.kms_key_arn else {})}
    create["TableClass"] = spec.table_class.value
    create["DeletionProtectionEnabled"] = settings.deletion_protection
    create["Tags"] = [{"Key": key, "Value": value} for key, value in sorted(plan.tags.items())]
    return TableSchema(create=create, ttl_attribute=spec.ttl_attribute, pitr_enabled=settings.pitr_enabled,
                       pitr_days=settings.pitr_recovery_period_days if settings.pitr_enabled else None)


# --- the comparable form ------------------------------------------------------------------------

def _keys_text(key_schema: list[dict[str, str]], types: dict[str, str]) -> str:
    return ", ".join(f"{k['AttributeName']}:{types.get(k['AttributeName'], '?')} {k['KeyType']}" for k in key_schema)


def _index_text(index: dict[str, Any], types: dict[str, str]) -> str:
    projection = index.get("Projection", {})
    text = f"keys {_keys_text(index['KeySchema'], types)}; projection {projection.get('ProjectionType', 'ALL')}"
    if projection.get("NonKeyAttributes"):
        text += f" ({', '.join(sorted(projection['NonKeyAttributes']))})"
    return text


def comparable(schema: TableSchema) -> dict[str, str]:
    """Field -> value, one entry per thing drift reports on. Absent fields mean "not there"."""
    create = schema.create
    types = {a["AttributeName"]: a["AttributeType"] for a in create.get("AttributeDefinitions", [])}
    fields = {
        "keys": _keys_text(create["KeySchema"], types),
        "billingMode": create.get("BillingMode", "PROVISIONED"),
        "stream": (create.get("StreamSpecification") or {}).get("StreamViewType", "off")
        if (create.get("StreamSpecification") or {}).get("StreamEnabled") else "off",
        "tableClass": create.get("TableClass", "STANDARD"),
        "deletionProtection": "on" if create.get("DeletionProtectionEnabled") else "off",
        "ttl": schema.ttl_attribute or "off",
        "pitr": (f"on, {schema.pitr_days} days" if schema.pitr_days else "on") if schema.pitr_enabled else "off",
    }
    sse = create.get("SSESpecification") or {}
    fields["encryption"] = sse.get("SSEType", "KMS") if sse.get("Enabled") else "off (AWS owned key)"
    if sse.get("KMSMasterKeyId"):
        fields["encryption.kmsKey"] = sse["KMSMasterKeyId"]
    for kind, key in (("globalIndexes", "GlobalSecondaryIndexes"), ("localIndexes", "LocalSecondaryIndexes")):
        for index in create.get(key) or []:
            fields[f"{kind}.{index['IndexName']}"] = _index_text(index, types)
    for tag in create.get("Tags") or []:
        fields[f"tags.{tag['Key']}"] = tag["Value"]
    return fields


# --- files --------------------------------------------------------------------------------------

def write_schema(schema: TableSchema, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    table_file = directory / f"{schema.name}.json"
    settings_file = directory / f"{schema.name}{SETTINGS_SUFFIX}"
    table_file.write_text(json.dumps(schema.create, indent=2) + "\n")
    settings_file.write_text(json.dumps(schema.settings(), indent=2) + "\n")
    return [table_file, settings_file]


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
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
    return TableSchema(create=create, ttl_attribute=ttl.get("AttributeName") if ttl.get("Enabled") else None,
                       pitr_enabled=bool(pitr.get("PointInTimeRecoveryEnabled")),
                       pitr_days=pitr.get("RecoveryPeriodInDays"))


def read_schema_dir(directory: Path) -> list[TableSchema]:
    if not directory.is_dir():
        raise ToolError("InvalidSchema", f"{directory}: no such directory")
    files = sorted(p for p in directory.glob("*.json") if not p.name.endswith(SETTINGS_SUFFIX))
    if not files:
        raise ToolError("InvalidSchema", f"{directory}: no <table>.json schema files")
    return [read_schema(path) for path in files]
