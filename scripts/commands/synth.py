"""`tables synth --stack S [--out DIR]` and `tables docs`: render the declared tables."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from scripts.commands._common import print_json, project, stack_plans

DOCS_STACK = "dev"


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    synth = subparsers.add_parser(
        "synth", parents=[common], help="render a stack's tables to schema files (CreateTable JSON + settings)",
        description="Writes <table>.json (a CreateTable request: works with aws dynamodb create-table "
                    "--cli-input-json) and <table>.settings.json (TimeToLive, ContinuousBackups) per table.")
    synth.add_argument("--stack", required=True, help="stack name (Pulumi.<stack>.yaml)")
    synth.add_argument("--out", type=Path, help="directory for the schema files (default: schemas/<stack>)")
    synth.set_defaults(handler=run_synth)

    docs = subparsers.add_parser("docs", parents=[common],
                                 help="regenerate docs/database-schema.md and what protects each table",
                                 description="Renders the table model to docs/database-schema.md, and the stack "
                                             "files to the \"What protects each table\" section of "
                                             "docs/disaster-recovery.md.")
    docs.add_argument("--check", action="store_true", help="exit 1 if a committed file is stale, write nothing")
    docs.set_defaults(handler=run_docs)


def run_synth(args: argparse.Namespace) -> int:
    from scripts.schema_files import declared_schema, write_schema

    out = args.out or project(args).schemas_dir(args.stack)
    plans = stack_plans(args)
    rows: list[dict[str, Any]] = []
    for plan in plans:
        schema = declared_schema(plan)
        files = write_schema(schema, out)
        spec, settings = plan.spec, plan.settings
        rows.append({"table": plan.name, "family": plan.family,
                     "keys": " + ".join(f"{k.name}:{k.type}" for k in spec.primary_key),
                     "gsis": len(spec.global_indexes), "ttl": spec.ttl_attribute or "-",
                     "stream": spec.stream.view_type.value if spec.stream else "-",
                     "pitr": f"{settings.pitr_recovery_period_days} days" if settings.pitr_enabled else "off",
                     "files": [str(f) for f in files]})
    if args.json:
        print_json(rows)
        return 0
    width = max(len(r["table"]) for r in rows)
    print(f"{'TABLE':<{width}}  {'FAMILY':<22}  {'KEYS':<26}  GSIS  {'TTL':<10}  {'STREAM':<9}  PITR")
    for r in rows:
        print(f"{r['table']:<{width}}  {r['family']:<22}  {r['keys']:<26}  {r['gsis']:>4}  {r['ttl']:<10}  "
              f"{r['stream']:<9}  {r['pitr']}")
    print(f"{len(rows)} tables, {sum(r['gsis'] for r in rows)} GSIs; schema files in {out}")
    return 0


def run_docs(args: argparse.Namespace) -> int:
    from scripts import recovery_docs
    from scripts.schema_docs import render

    found = project(args)
    recovery_file = found.recovery_docs_file
    recovery_text = recovery_file.read_text() if recovery_file.is_file() else None
    section = recovery_docs.render_section([found.stack_plan(stack) for stack in found.stacks()])
    generated = {
        found.docs_file: (render(DOCS_STACK, found.plans(DOCS_STACK)), "the table model"),
        recovery_file: (recovery_docs.updated(recovery_text, section), "the stack files"),
    }
    if args.check:
        stale = [(path, source) for path, (text, source) in generated.items()
                 if not path.is_file() or path.read_text() != text]
        if args.json:
            print_json({"stale": [str(path) for path, _ in stale],
                        "up_to_date": [str(path) for path in generated if path not in dict(stale)]})
            return 1 if stale else 0
        for path, source in stale:
            print(f"{path} does not match {source}; run make docs", file=sys.stderr)
        for path in generated:
            if path not in dict(stale):
                print(f"{path} is up to date")
        return 1 if stale else 0
    for path, (text, _) in generated.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if args.json:
        print_json({"written": [str(path) for path in generated]})
    else:
        print("\n".join(f"wrote {path}" for path in generated))
    return 0
