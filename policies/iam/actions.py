"""Every DynamoDB IAM action, from AWS's Service Authorization Reference as `parliament` ships it.

The list is not written by hand: `parliament` (duo-labs/parliament, pinned in policies/requirements.txt)
carries `iam_definition.json`, its snapshot of the Service Authorization Reference ("Actions, resources,
and condition keys for Amazon DynamoDB"), with each action's access level, resource types and condition
keys. The pack reads that file, so `dynamodb:*Item`, `dynamodb:Restore*` or a `NotAction` list expand
to exactly the actions AWS defines, including ones added after this module was written (upgrade the pin).

Each action falls in one class, decided by the reference data alone:
- item: the action takes the `dynamodb:Attributes` condition key, i.e. it reads or writes items
  (GetItem, Query, Scan, PutItem, PartiQLUpdate, ...);
- stream: a Read action whose only resource type is `stream` (DescribeStream, GetRecords, GetShardIterator);
- describe: any other Read or List action (DescribeTable, ListTables, DescribeTimeToLive, ...);
- management: every other action, i.e. Write, Permissions management and Tagging actions that do not
  touch items (CreateTable, DeleteTableReplica, EnableKinesisStreamingDestination, PutResourcePolicy,
  TagResource, ...); the restore actions (`Restore*`) are named as such in messages.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path


class ActionClass(StrEnum):
    ITEM = "item"
    STREAM = "stream"
    DESCRIBE = "describe"
    MANAGEMENT = "management"


@dataclass(frozen=True)
class DynamoDBAction:
    name: str  # "dynamodb:GetItem"
    access_level: str  # the reference's level: Read, Write, List, Tagging, Permissions management
    resource_types: tuple[str, ...]  # "table", "index", "stream", ...; "" means Resource "*"
    kind: ActionClass

    @property
    def is_restore(self) -> bool:
        return self.name.startswith("dynamodb:Restore")

    @property
    def is_data(self) -> bool:
        """Reading or writing what is in a table, or its description: what consumers may be given."""
        return self.kind is not ActionClass.MANAGEMENT


def reference_path() -> Path:
    """parliament's `iam_definition.json`, found without importing parliament (it imports pkg_resources)."""
    spec = importlib.util.find_spec("parliament")
    if spec is None or spec.origin is None:
        raise RuntimeError("the policy pack needs parliament (policies/requirements.txt) for the DynamoDB "
                           "action list; install it into the pack's venv")
    return Path(spec.origin).parent / "iam_definition.json"


def _classify(level: str, resource_types: tuple[str, ...], condition_keys: set[str]) -> ActionClass:
    if "dynamodb:Attributes" in condition_keys:
        return ActionClass.ITEM
    if level == "Read" and resource_types == ("stream",):
        return ActionClass.STREAM
    if level in ("Read", "List"):
        return ActionClass.DESCRIBE
    return ActionClass.MANAGEMENT


@cache
def dynamodb_actions() -> tuple[DynamoDBAction, ...]:
    """Every `dynamodb:` action in the reference, sorted by name."""
    definition = json.loads(reference_path().read_text())
    [service] = [s for s in definition if s["prefix"] == "dynamodb"]
    actions = []
    for privilege in service["privileges"]:
        # "table*" marks a required resource type; the star is the reference's notation, not a wildcard.
        types = tuple(dict.fromkeys(r["resource_type"].rstrip("*") for r in privilege["resource_types"]))
        keys = {key for r in privilege["resource_types"] for key in r["condition_keys"]}
        actions.append(DynamoDBAction(f"dynamodb:{privilege['privilege']}", privilege["access_level"], types,
                                      _classify(privilege["access_level"], types, keys)))
    return tuple(sorted(actions, key=lambda a: a.name))


def _action_pattern(pattern: str) -> re.Pattern[str]:
    # IAM matches action names case-insensitively; `*` and `?` are its only wildcards.
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
                      re.IGNORECASE)


def matching(patterns: list[str]) -> list[DynamoDBAction]:
    """The DynamoDB actions any of the `Action` patterns names (`*`, `dynamodb:*Item`, `DynamoDB:getitem`)."""
    compiled = [_action_pattern(p) for p in patterns]
    return [a for a in dynamodb_actions() if any(c.fullmatch(a.name) for c in compiled)]


def not_matching(patterns: list[str]) -> list[DynamoDBAction]:
    """The DynamoDB actions a `NotAction` list grants: every one it does not name."""
    named = {a.name for a in matching(patterns)}
    return [a for a in dynamodb_actions() if a.name not in named]


def unknown_dynamodb_actions(patterns: list[str]) -> list[str]:
    """`dynamodb:` patterns that name no action of the reference: a typo, or an action newer than the pin
    (`dynamodb:SearchVectors`), which IAM would grant all the same."""
    return [p for p in patterns if p.lower().startswith("dynamodb:") and not matching([p])]


def reference_version() -> str:
    """The version of parliament whose reference data is in use."""
    return importlib.metadata.version("parliament")
