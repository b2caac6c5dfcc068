"""`tables scaffold --family NAME (--from DIR | --prefix P)`: a family module from live tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scripts.commands._common import add_local_flag, connection, print_json
from scripts.errors import ToolError


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "scaffold", parents=[common], help="write a family module from exported schema files or live tables",
        description="Prints a family module on stdout (or writes it with --out) with one TableSpec per table: keys, "
                    "GSIs (multi-attribute keys included), LSIs, projections, TTL, stream, table class and billing "
                    "exactly as they are live, descriptions and access patterns left as TODOs, so "
                    "`tables scaffold ... > family.py` is the module alone. The stack-config entry that adopts the "
                    "tables goes to stderr, or to --config-out. Add the module to components/families/__init__.py.")
    parser.add_argument("--family", required=True, help="the family's key in stack configs, e.g. construction-expenses")
    parser.add_argument("--from", dest="source", type=Path,
                        help="a directory of schema files, as `tables export` writes them")
    parser.add_argument("--prefix", default="",
                        help="the tables' shared name prefix: with --from, stripped from each name; without it, "
                             "read every live table whose name starts with it")
    parser.add_argument("--suffix", default="", help="the tables' shared name suffix, stripped from each name")
    parser.add_argument("--out", type=Path, help="write the module to this file instead of printing it")
    parser.add_argument("--config-out", type=Path,
                        help="write the stack-config entry to this file instead of printing it on stderr")
    add_local_flag(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from scripts.scaffold import check_family_key, scaffold_family

    check_family_key(args.family)  # before anything is read
    for option, path in (("--out", args.out), ("--config-out", args.config_out)):
        if path is not None and path.exists():
            raise ToolError("FileExists", f"{path} exists; scaffold never overwrites a file, choose another "
                                          f"{option} or remove it", where=str(path))
    if args.source is not None:
        from scripts.schema_files import read_schema_dir

        schemas = read_schema_dir(args.source)
        source = str(args.source)
    elif args.prefix:
        from scripts.export_tables import tables_with_prefix
        from scripts.live import read_live

        client = connection(args).client()
        names = tables_with_prefix(client, args.prefix)
        if not names:
            raise ToolError("NoTables", f"no tables start with {args.prefix!r} at {args.where}")
        schemas = []
        for name in names:
            live = read_live(client, name)
            if live is not None:  # deleted between the listing and the read: nothing to scaffold
                schemas.append(live.schema)
        source = f"the live tables named {args.prefix}* at\n{args.where}"
    else:
        raise ToolError("Usage", "give --from DIR (exported schema files) or --prefix P (live tables)")
    scaffold = scaffold_family(schemas, args.family, prefix=args.prefix, suffix=args.suffix, source=source)
    if args.out is not None:
        args.out.write_text(scaffold.module)
    if args.config_out is not None:
        args.config_out.write_text(scaffold.config + "\n")
    if args.json:
        print_json({"family": args.family, "tables": [s.key for s in scaffold.specs], "module": scaffold.module,
                    "out": str(args.out) if args.out else None, "config": scaffold.config,
                    "configOut": str(args.config_out) if args.config_out else None})
        return 0
    # stdout is the module and nothing else, so `tables scaffold ... > family.py` writes a module.
    if args.out is None:
        print(scaffold.module, end="")
    else:
        print(f"wrote {args.out}: {len(scaffold.specs)} tables of family {args.family}", file=sys.stderr)
    if args.config_out is None:
        print(f"{CONFIG_HEADING}\n{scaffold.config}", file=sys.stderr)
    else:
        print(f"wrote {args.config_out}: the stack-config entry that adopts them", file=sys.stderr)
    return 0


CONFIG_HEADING = "# The stack-config entry that adopts them (under config: in Pulumi.<stack>.yaml):"
