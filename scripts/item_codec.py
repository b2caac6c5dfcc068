"""DynamoDB items as plain Python values and back: boto3's own type (de)serializers, in one place.

Below both the migration runner and the families' live helpers (scripts/creators.py), so neither
imports the other for it.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_value(value: Any) -> Any:
    """One Python value as a DynamoDB AttributeValue."""
    return _serializer.serialize(value)


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    return {key: to_value(value) for key, value in values.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _deserializer.deserialize(value) for key, value in item.items()}
