"""The API a migration imports, and all of it: `from scripts.migrate.api import ...`.

Like Alembic's `op`, this module is the stable surface between user-written migrations
(`migrations/NNNN_*.py`) and the runner. The runner's modules may change; these names do not.

- `MigrationContext`: what `run(ctx)` receives (`ctx.table(spec)`, `ctx.backfill(...)`,
  `ctx.get_item`, `ctx.scan`, `ctx.log`, `ctx.dry_run`, `ctx.complete`, `ctx.client`).
- `Backfill` and `Update`: what to change in many items, decided per item and written conditionally.
- `VerificationError`: raise it when the migration's own check of its result fails.

A family's own live helpers (the creator platform's `scripts/creators.py`, shared with the seed data)
are imported from their module, not through this one: the runner stays below the families.
"""

from __future__ import annotations

from scripts.errors import ToolError
from scripts.migrate.backfill import Backfill
from scripts.migrate.runner import MigrationContext
from scripts.migrate.writes import Update

__all__ = ["Backfill", "MigrationContext", "Update", "VerificationError"]


class VerificationError(ToolError):
    """The migration ran, but its result is not what it promised; the run is recorded as failed."""

    def __init__(self, message: str) -> None:
        super().__init__("VerificationFailed", message)
