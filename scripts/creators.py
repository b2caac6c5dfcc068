"""Creating a creator whose slug is unique, even when two writers race.

The slug-index GSI cannot enforce uniqueness (it is eventually consistent), so each creator is
written in one transaction with a guard item `id = SLUG#<slug>` in the creators table. The guard
has no `slug` attribute, so it never shows up in slug-index queries. Whoever loses the race finds
the guard, and with it the winner's creator id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.exceptions import ClientError

from scripts.aws import DynamoDBClient, error_code
from scripts.item_codec import from_item, to_item

GUARD_PREFIX = "SLUG#"
DEFAULT_THEME = {"primaryColor": "#E60023", "backgroundColor": "#FFFFFF", "layout": "grid", "font": "Inter"}
DEFAULT_PROFILE = {"bio": "", "avatarUrl": "", "socialLinks": {}}


@dataclass(frozen=True)
class CreatorOutcome:
    creator_id: str
    created: bool


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def find_by_slug(client: DynamoDBClient, table: str, slug: str) -> str | None:
    guard = client.get_item(TableName=table, Key=to_item({"id": GUARD_PREFIX + slug}), ConsistentRead=True)
    if "Item" in guard:
        return str(from_item(guard["Item"])["creatorId"])
    return None


def ensure_creator(client: DynamoDBClient, table: str, slug: str, display_name: str, dry_run: bool = False,
                   creator_id: str | None = None) -> CreatorOutcome:
    """Create the creator unless its slug is taken; either way, return the slug's creator id."""
    existing = find_by_slug(client, table, slug)
    if existing is not None:
        return CreatorOutcome(existing, created=False)
    new_id = creator_id or str(uuid.uuid4())
    if dry_run:
        return CreatorOutcome(new_id, created=True)
    timestamp = now_iso()
    creator = {"id": new_id, "slug": slug, "displayName": display_name, "theme": DEFAULT_THEME,
               "profile": DEFAULT_PROFILE, "createdAt": timestamp, "updatedAt": timestamp}
    guard = {"id": GUARD_PREFIX + slug, "creatorId": new_id, "kind": "slug-guard", "createdAt": timestamp}
    try:
        client.transact_write_items(TransactItems=[
            {"Put": {"TableName": table, "Item": to_item(creator), "ConditionExpression": "attribute_not_exists(id)"}},
            {"Put": {"TableName": table, "Item": to_item(guard), "ConditionExpression": "attribute_not_exists(id)"}},
        ])
    except ClientError as error:
        if error_code(error) != "TransactionCanceledException":
            raise
        winner = find_by_slug(client, table, slug)
        if winner is None:
            raise
        return CreatorOutcome(winner, created=False)
    return CreatorOutcome(new_id, created=True)
