"""Export live tables as schema files plus `table-summary.txt` (seed 004's report)."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from scripts.aws import PARALLEL_TABLES, error_code
from scripts.errors import ToolError
from scripts.live import LiveTable, read_live
from scripts.schema_files import write_schema

SUMMARY_FILE = "table-summary.txt"


def tables_with_prefix(client: Any, prefix: str) -> list[str]:
    names: list[str] = []
    for page in client.get_paginator("list_tables").paginate():
        names += [name for name in page.get("TableNames", []) if name.startswith(prefix)]
    return sorted(names)


def _read(client: Any, name: str) -> LiveTable:
    try:
        return read_live(client, name)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            raise ToolError("TableNotFound",
                            f"table '{name}' does not exist at {client.meta.endpoint_url}") from None
        raise


def export_tables(client: Any, names: Iterable[str], out: Path) -> list[LiveTable]:
    with ThreadPoolExecutor(max_workers=PARALLEL_TABLES) as pool:
        tables = list(pool.map(lambda name: _read(client, name), names))
    for table in tables:
        write_schema(table.schema, out)
    (out / SUMMARY_FILE).write_text(summary(tables, str(client.meta.endpoint_url)))
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
