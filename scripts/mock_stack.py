"""Run the real Pulumi program under Pulumi's mock runtime and record what it declares.

This is how the program is exercised without the Pulumi CLI: the tests assert on the recorded
resources, and `tables policy-check` feeds them to the policy pack. The config comes from the
stack's own `Pulumi.<stack>.yaml`, encoded the way the engine passes it.
"""

from __future__ import annotations

import runpy
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import ROOT, get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from components.model.stack_file import load_stack_file, read_yaml_file

FAKE_ACCOUNT = "123456789012"
TABLE_TYPE = "aws:dynamodb/table:Table"


@dataclass
class DeclaredResource:
    """One resource registration as the engine would receive it."""

    type: str
    name: str
    urn: str
    inputs: dict[str, Any]
    custom: bool
    parent: str
    protect: bool
    retain_on_delete: bool
    import_id: str
    ignore_changes: list[str] = field(default_factory=list)
    # The URNs each input depends on, and all the resource depends on, as the engine passes them to
    # the policy pack: during a preview they tell which table an unknown ARN belongs to.
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)


@dataclass
class DeclaredStack:
    stack: str
    project: str
    resources: list[DeclaredResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)

    def of_type(self, type_token: str) -> list[DeclaredResource]:
        return [r for r in self.resources if r.type == type_token]

    @property
    def tables(self) -> dict[str, DeclaredResource]:
        """Declared tables by physical name."""
        return {r.inputs["name"]: r for r in self.of_type(TABLE_TYPE)}


class _CloudMocks(pulumi.runtime.Mocks):
    """Computes the outputs AWS would: ARNs (and stream ARNs for tables), and a backup plan's ID."""

    def __init__(self, region: str) -> None:
        self.region = region

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ == TABLE_TYPE:
            arn = f"arn:aws:dynamodb:{self.region}:{FAKE_ACCOUNT}:table/{args.inputs['name']}"
            state["arn"] = arn
            if args.inputs.get("streamEnabled"):
                state["streamArn"] = f"{arn}/stream/2026-01-01T00:00:00.000"
            return args.inputs["name"], state
        name = args.inputs.get("name", args.name)
        if args.typ == "aws:backup/vault:Vault":
            state["arn"] = f"arn:aws:backup:{self.region}:{FAKE_ACCOUNT}:backup-vault:{name}"
            return name, state
        if args.typ == "aws:backup/plan:Plan":
            # AWS gives a plan a generated ID; its ARN ends with that ID.
            plan_id = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
            state.update(arn=f"arn:aws:backup:{self.region}:{FAKE_ACCOUNT}:backup-plan:{plan_id}",
                         version="1")
            return plan_id, state
        if args.typ == "aws:iam/role:Role":
            state["arn"] = f"arn:aws:iam::{FAKE_ACCOUNT}:role/{name}"
            return name, state
        if args.typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            state["arn"] = f"arn:aws:cloudwatch:{self.region}:{FAKE_ACCOUNT}:alarm:{name}"
            return name, state
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        # The invokes the program makes during preview, answered as AWS would for FAKE_ACCOUNT.
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": FAKE_ACCOUNT, "arn": f"arn:aws:iam::{FAKE_ACCOUNT}:user/deployer",
                    "userId": "AIDAEXAMPLE", "id": FAKE_ACCOUNT}, []
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws",
                    "id": "aws"}, []
        if args.token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region}, []
        return {}, []


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that also keeps the resource options mocks do not pass to `new_resource`."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.declared: list[DeclaredResource] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            state = self.resources[response.urn].state
            inputs = {k: v for k, v in state.items() if k not in ("arn", "streamArn")} if request.custom else {}
            self.declared.append(DeclaredResource(
                type=request.type, name=request.name, urn=response.urn, inputs=inputs,
                custom=request.custom, parent=request.parent, protect=request.protect,
                retain_on_delete=request.retainOnDelete, import_id=request.importId,
                ignore_changes=list(request.ignoreChanges),
                property_dependencies={key: list(deps.urns) for key, deps in request.propertyDependencies.items()
                                       if deps.urns},
                dependencies=list(request.dependencies),
            ))
        return response


def project_name(project_dir: Path) -> str:
    return str(read_yaml_file(project_dir / "Pulumi.yaml")["name"])


def run_program(project_dir: Path, stack: str, config: Mapping[str, str] | None = None, *,
                preview: bool = True) -> DeclaredStack:
    """Run `__main__.py` for `stack` with its config (from `Pulumi.<stack>.yaml` unless given).

    Raises what the program raises, `pulumi.RunError` included.
    """
    raw_config = dict(load_stack_file(project_dir, stack) if config is None else config)
    region = raw_config.get("aws:region", "us-east-1")
    monitor = _RecordingMonitor(_CloudMocks(region))
    project = project_name(project_dir)

    ROOT.set(None)  # a fresh root Stack resource for every run in this process
    pulumi.runtime.set_all_config(raw_config)
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=preview, monitor=monitor)

    def program() -> None:
        runpy.run_path(str(project_dir / "__main__.py"), run_name="__main__")

    _sync_await(run_pulumi_func(program))
    root = get_root_resource()
    outputs = _sync_await(pulumi.Output.from_input(root.outputs).future()) if root is not None else {}  # type: ignore[attr-defined]
    return DeclaredStack(stack=stack, project=project, resources=monitor.declared, outputs=outputs or {})
