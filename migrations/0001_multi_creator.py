"""0001: the multi-creator platform (seed 000's migrateToMultiCreator.ts, done safely).

1. Creates the default creator `jesskoufo` (unique slug even if two runs race).
2. Backfills every product without `creatorId`: creatorId, featured=false and status='approved'
   where not already set, and updatedAt. Each write holds only while the product still has no
   creatorId and the featured/status/updatedAt values read: a product changed meanwhile is decided
   again on its new values, never overwritten; a re-run writes nothing.
3. Verifies: the creator exists and no product is left without creatorId.
"""

from __future__ import annotations

from typing import Any

from scripts.creators import ensure_creator, now_iso
from scripts.errors import ToolError
from scripts.migrate.backfill import Backfill, Update
from scripts.migrate.history import to_item

ID = "0001"
DESCRIPTION = "Multi-creator platform: default creator jesskoufo and product backfill"

DEFAULT_CREATOR_SLUG = "jesskoufo"
DEFAULT_CREATOR_NAME = "Jess Koufo"


def product_update(creator_id: str) -> Any:
    def update(product: dict[str, Any]) -> Update | None:
        if "creatorId" in product:
            return None
        values: dict[str, Any] = {"creatorId": creator_id, "updatedAt": now_iso()}
        # featured and status are kept where a product already has them.
        if "featured" not in product:
            values["featured"] = False
        if "status" not in product:
            values["status"] = "approved"
        return Update(set=values)
    return update


def count_products(ctx: Any, products: str) -> tuple[int, int]:
    with_creator = without = 0
    paginator = ctx.client.get_paginator("scan")
    for page in paginator.paginate(TableName=products, ProjectionExpression="id, creatorId"):
        for item in page.get("Items", []):
            if "creatorId" in item:
                with_creator += 1
            else:
                without += 1
    return with_creator, without


def run(ctx: Any) -> None:
    creators = ctx.table("creator-platform", "creators")
    products = ctx.table("creator-platform", "products")

    creator = ensure_creator(ctx.client, creators, DEFAULT_CREATOR_SLUG, DEFAULT_CREATOR_NAME, dry_run=ctx.dry_run)
    verb = ("would create" if ctx.dry_run else "created") if creator.created else "found"
    ctx.log(f"{verb} default creator {DEFAULT_CREATOR_SLUG} ({DEFAULT_CREATOR_NAME}): {creator.creator_id}")

    ctx.backfill(Backfill(
        name="products",
        table=products,
        key=("id",),
        reads=("creatorId", "featured", "status", "updatedAt"),
        scan_filter="attribute_not_exists(creatorId)",
        update=product_update(creator.creator_id),
    ))
    if not ctx.complete:
        return  # a dry run, or fan-out workers still running other segments: verify at the end

    found = ctx.client.get_item(TableName=creators, Key=to_item({"id": creator.creator_id}), ConsistentRead=True)
    if "Item" not in found:
        raise ToolError("VerificationFailed", f"default creator {creator.creator_id} is missing from {creators}")
    with_creator, without = count_products(ctx, products)
    ctx.log(f"verified: products with creatorId {with_creator}, without {without}")
    if without:
        raise ToolError("VerificationFailed", f"{without} products in {products} still have no creatorId")
