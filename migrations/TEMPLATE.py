"""NNNN: one line saying what this migration does (copy to migrations/NNNN_short_name.py).

Rules of the road (docs/migrations.md has the why):
- ID must match the file name's number; never edit a migration after it ran anywhere
  (`tables migrate validate` fails when an applied migration's source changed).
- Decide each item's Update only from the attributes listed in `reads`: the engine writes it only
  while the item still exists and every one of them still holds the value read, so a re-run writes
  nothing and a concurrent change is never overwritten (it calls your function again instead).
- Use ctx.backfill for anything that touches many items; it checkpoints, resumes and fans out.
- Check ctx.dry_run before any write outside ctx.backfill.
"""

from __future__ import annotations

from typing import Any

from scripts.migrate.backfill import Backfill, Update

ID = "NNNN"
DESCRIPTION = "What this migration does"


def run(ctx: Any) -> None:
    table = ctx.table("items-service", "items")  # family and table key from components/

    def update(item: dict[str, Any]) -> Update | None:
        if "newAttribute" in item:
            return None  # nothing to do for this item
        return Update(set={"newAttribute": "default"})  # and/or remove=("oldAttribute",)

    ctx.backfill(Backfill(name="items", table=table, key=("id",), reads=("newAttribute",),
                          scan_filter="attribute_not_exists(newAttribute)", update=update))
    if ctx.complete:
        ctx.log("verified: ...")  # verify the result here, and raise ToolError if it is wrong
