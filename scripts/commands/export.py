"""`tables export (--prefix P | --tables a,b) --out DIR`: live tables to schema files and a summary."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from scripts.commands._common import add_local_flag, connection, print_json
from scripts.errors import ToolError


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "export", parents=[common], help="write live tables as schema files plus table-summary.txt",
        description="Writes <table>.json and <table>.settings.json for each live table, in the format synth "
                    "writes, and table-summary.txt with items, size and GSI count per table and totals.")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--prefix", help="every table whose name starts with this")
    which.add_argument("--tables", help="comma-separated table names")
    parser.add_argument("--out", type=Path, required=True, help="directory for the files")
    add_local_flag(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from scripts.export_tables import SUMMARY_FILE, export_tables, tables_with_prefix

    client = connection(args).client()
    names = tables_with_prefix(client, args.prefix) if args.prefix is not None else \
        [name.strip() for name in args.tables.split(",") if name.strip()]
    if not names:
        asked = f"prefix {args.prefix!r}" if args.prefix is not None else "--tables"
        raise ToolError("NoTables", f"no tables match {asked} at {args.where}")
    tables = export_tables(client, names, args.out)
    if args.json:
        print_json([{"table": t.schema.name, "items": t.item_count, "sizeBytes": t.size_bytes, "gsis": t.gsi_count,
                     "unsupported": sorted(t.unsupported)} for t in tables])
    else:
        print((args.out / SUMMARY_FILE).read_text(), end="")
        print(f"schema files in {args.out}")
    return 0
