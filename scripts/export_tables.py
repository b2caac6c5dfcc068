"""Export live tables as schema files plus `table-summary.txt`.

The summary is the report the construction-expenses team's own export script wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from scripts.aws import DynamoDBClient, endpoint_of, parallel_map, table_not_found
from scripts.live import LiveTable, read_live
from scripts.schema_files import schema_paths, write_schema

SUMMARY_FILE = "table-summary.txt"


def tables_with_prefix(client: DynamoDBClient, prefix: str) -> list[str]:
    names: list[str] = []
    for page in client.get_paginator("list_tables").paginate():
        names += [name for name in page.get("TableNames", []) if name.startswith(prefix)]
    return sorted(names)


def _read(client: DynamoDBClient, name: str) -> LiveTable:
    live = read_live(client, name)
    if live is None:
        raise table_not_found(name, client)
    return live


def export_tables(client: DynamoDBClient, names: Iterable[str], out: Path) -> list[LiveTable]:
    names = list(names)
    for name in names:  # every name checked before anything is read or written
        schema_paths(name, out)
    tables = parallel_map(lambda name: _read(client, name), names)
    for table in tables:
        write_schema(table.schema, out)
    (out / SUMMARY_FILE).write_text(summary(tables, endpoint_of(client)))
    return tables


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.2f} MB"


def summary(tables: list[LiveTable], source: str) -> str:
    width = max((len(t.schema.name) for t in tables), default=5)
    lines = [f"Table summary: {len(tables)} tables from {source}, {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}", ""]
    for table in tables:
        gsis = f"{table.gsi_count} GSI" + ("" if table.gsi_count == 1 else "s")
        lines.append(f"{table.schema.name:<{width}}  {table.item_count:>8} items  {_mb(table.size_bytes):>10}  {gsis}")
    lines += ["", f"Total: {len(tables)} tables, {sum(t.item_count for t in tables)} items, "
                  f"{_mb(sum(t.size_bytes for t in tables))}, {sum(t.gsi_count for t in tables)} GSIs"]
    return "\n".join(lines) + "\n"
