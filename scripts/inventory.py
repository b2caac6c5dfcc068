"""What exists at an endpoint: tables, indexes, TTL, PITR and item counts, for `tables local status`."""

from __future__ import annotations

from typing import Any

from scripts.aws import DynamoDBClient, parallel_map
from scripts.errors import shown
from scripts.export_tables import tables_with_prefix
from scripts.live import LiveTable, read_live


def inventory(client: DynamoDBClient, prefix: str = "") -> list[LiveTable]:
    names = tables_with_prefix(client, prefix)
    found = parallel_map(lambda name: read_live(client, name), names)
    # A table deleted between ListTables and DescribeTable is simply no longer there.
    return [table for table in found if table is not None]


def as_rows(tables: list[LiveTable]) -> list[dict[str, Any]]:
    rows = []
    for table in tables:
        indexes = sorted(table.index_status)
        pitr = "unsupported" if "pitr" in table.unsupported else (
            f"{table.schema.pitr_days} days" if table.schema.pitr_enabled else "off")
        rows.append({"table": table.schema.name, "status": table.status, "items": table.item_count,
                     "indexes": indexes, "ttl": table.schema.ttl_attribute or "-", "pitr": pitr})
    return rows


def _shown_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row as it may reach a terminal: names from the endpoint with control characters escaped."""
    return {**row, "table": shown(row["table"]), "ttl": shown(row["ttl"]),
            "indexes": [shown(name) for name in row["indexes"]]}


def format_rows(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no tables"
    rows = [_shown_row(r) for r in rows]
    width = max(len(r["table"]) for r in rows)
    lines = [f"{'TABLE':<{width}}  {'ITEMS':>6}  {'TTL':<10}  {'PITR':<11}  INDEXES"]
    for r in rows:
        lines.append(f"{r['table']:<{width}}  {r['items']:>6}  {r['ttl']:<10}  {r['pitr']:<11}  "
                     f"{', '.join(r['indexes']) or '-'}")
    lines.append(f"{len(rows)} tables, {sum(len(r['indexes']) for r in rows)} indexes, "
                 f"{sum(r['items'] for r in rows)} items")
    return "\n".join(lines)
