"""0001: the multi-creator platform: a default creator, and every product owned by it.

The creator platform turned a single-creator site into a multi-creator one; this replaces its
hand-run `migrateToMultiCreator` script, done safely:
1. Creates the default creator `jesskoufo` (unique slug even if two runs race).
2. Backfills every product without `creatorId`: creatorId, featured=false and status='approved'
   where not already set, and updatedAt. Each write holds only while the product still has no
   creatorId and the featured/status/updatedAt values read: a product changed meanwhile is decided
   again on its new values, never overwritten; a re-run writes nothing.
3. Verifies: the creator exists and no product is left without creatorId.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from components.families.creator_platform import creators_table, products_table
from scripts.creators import ensure_creator, now_iso
from scripts.migrate.api import Backfill, MigrationContext, Update, VerificationError

ID = "0001"
DESCRIPTION = "Multi-creator platform: default creator jesskoufo and product backfill"
# Earlier versions of this file, applied in some environments already, that did the same: through the
# runner's internal modules before `scripts.migrate.api` existed, then taking the creator helpers
# through that API.
EQUIVALENT_CHECKSUMS = ("d8bc04243a426cae16e9e2f41951a9ee6b8a450777b8f1298a7b3e20a69dceae",
                        "d4db916f133d43a70bd119f65676c182fe16dfd8715e854a7b99739b7d1861c5")

DEFAULT_CREATOR_SLUG = "jesskoufo"
DEFAULT_CREATOR_NAME = "Jess Koufo"


def product_update(creator_id: str) -> Callable[[dict[str, Any]], Update | None]:
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


def count_products(ctx: MigrationContext, products: str) -> tuple[int, int]:
    with_creator = without = 0
    for item in ctx.scan(products, ("id", "creatorId")):
        if "creatorId" in item:
            with_creator += 1
        else:
            without += 1
    return with_creator, without


def run(ctx: MigrationContext) -> None:
    creators = ctx.table(creators_table)
    products = ctx.table(products_table)

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

    if ctx.get_item(creators, {"id": creator.creator_id}) is None:
        raise VerificationError(f"default creator {creator.creator_id} is missing from {creators}")
    with_creator, without = count_products(ctx, products)
    ctx.log(f"verified: products with creatorId {with_creator}, without {without}")
    if without:
        raise VerificationError(f"{without} products in {products} still have no creatorId")
