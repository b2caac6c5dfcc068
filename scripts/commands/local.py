"""`tables local up|down|status [--engine moto|dynamodb-local] [--port N]`: the embedded endpoint."""

from __future__ import annotations

import argparse
from typing import Any

from scripts import local_endpoint
from scripts.commands._common import number_in, print_json, project


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("local", parents=[common], help="start, stop or inspect the local DynamoDB endpoint",
                                   description="Runs a local DynamoDB on 127.0.0.1 and records its pid and port, so "
                                               "`down` stops exactly that process. Other commands reach it with "
                                               "--local.")
    parser.add_argument("action", choices=["up", "down", "status"])
    parser.add_argument("--engine", choices=local_endpoint.ENGINES, default="moto",
                        help="moto (default: PITR, TTL, tags, SSE) or dynamodb-local (AWS's emulator, on Java)")
    parser.add_argument("--port", type=number_in(0, 65535, integer=True), default=local_endpoint.DEFAULT_PORT,
                        help="port (0: any free port)")
    parser.add_argument("--delay-transient-statuses", action="store_true",
                        help="dynamodb-local only: hold indexes in CREATING/DELETING as AWS does")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return {"up": _up, "down": _down, "status": _status}[args.action](args)


def _up(args: argparse.Namespace) -> int:
    endpoint = local_endpoint.start(project(args), args.engine, args.port, args.delay_transient_statuses)
    if args.json:
        print_json({"engine": endpoint.engine, "url": endpoint.url, "pid": endpoint.pid})
    else:
        print(f"{endpoint.engine} endpoint at {endpoint.url} (pid {endpoint.pid}); use --local, or "
              f"AWS_ENDPOINT_URL_DYNAMODB={endpoint.url}")
    return 0


def _down(args: argparse.Namespace) -> int:
    state = local_endpoint.state_dir(project(args))
    endpoint = local_endpoint.recorded(state)
    stopped = endpoint is not None and local_endpoint.stop(endpoint, state)
    if args.json:
        print_json({"stopped": stopped})
    elif stopped and endpoint is not None:
        print(f"stopped {endpoint.engine} at {endpoint.url}")
    else:
        print("no local endpoint running")
    return 0


def _status(args: argparse.Namespace) -> int:
    from scripts.inventory import as_rows, format_rows, inventory

    endpoint = local_endpoint.recorded(local_endpoint.state_dir(project(args)))
    if endpoint is None or not local_endpoint.is_alive(endpoint):
        if args.json:
            print_json({"running": False})
        else:
            print("no local endpoint running (tables local up starts one)")
        return 1
    rows = as_rows(inventory(local_endpoint.local_client(endpoint.url)))
    if args.json:
        print_json({"running": True, "engine": endpoint.engine, "url": endpoint.url, "pid": endpoint.pid,
                    "tables": rows})
    else:
        print(f"{endpoint.engine} endpoint at {endpoint.url} (pid {endpoint.pid})")
        print(format_rows(rows))
    return 0
