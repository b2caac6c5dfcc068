"""NNNN: one line saying what this migration does (copy to migrations/NNNN_short_name.py).

Rules of the road (docs/migrations.md has the why):
- ID must match the file name's number; never edit a migration after it ran anywhere
  (`tables migrate validate` fails when an applied migration's source changed).
- Decide each item's Update only from the attributes listed in `reads`: the engine writes it only
  while the item still exists and every one of them still holds the value read, so a re-run writes
  nothing and a concurrent change is never overwritten (it calls your function again instead).
- Use ctx.backfill for anything that touches many items; it checkpoints, resumes and fans out.
- Check ctx.dry_run before any write outside ctx.backfill.
- Import only `scripts.migrate.api` and the table specs of `components.families`.
"""

from __future__ import annotations

from typing import Any

from components.families.items_service import items_table
from scripts.migrate.api import Backfill, MigrationContext, Update, VerificationError

ID = "NNNN"
DESCRIPTION = "What this migration does"


def run(ctx: MigrationContext) -> None:
    table = ctx.table(items_table)  # the table's spec, from components/families/

    def update(item: dict[str, Any]) -> Update | None:
        if "newAttribute" in item:
            return None  # nothing to do for this item
        return Update(set={"newAttribute": "default"})  # and/or remove=("oldAttribute",)

    ctx.backfill(Backfill(name="items", table=table, key=("id",), reads=("newAttribute",),
                          scan_filter="attribute_not_exists(newAttribute)", update=update))
    if ctx.complete:
        left = sum(1 for item in ctx.scan(table, ("id", "newAttribute")) if "newAttribute" not in item)
        if left:
            raise VerificationError(f"{left} items in {table} still have no newAttribute")
        ctx.log("verified: every item has newAttribute")
