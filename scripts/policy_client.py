"""Talk to the policy pack over its real gRPC Analyzer interface, started the way the engine starts it.

The engine's Python language host runs `<venv>/bin/python <pack dir> <engine address>` from the
project directory and reads the pack's port from the first line of its stdout. `running_pack`
does the same; `PolicyPackClient` then sends the engine's requests: GetAnalyzerInfo, Configure,
Analyze per resource and AnalyzeStack for the whole stack.
"""

from __future__ import annotations

import json
import select
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from scripts.mock_stack import DeclaredResource

STARTUP_TIMEOUT_SECONDS = 60
LEVEL_NAMES = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory",
               analyzer_pb2.REMEDIATE: "remediate", analyzer_pb2.DISABLED: "disabled"}
LEVELS = {name: value for value, name in LEVEL_NAMES.items()}


class PolicyPackError(RuntimeError):
    """The pack did not start or did not answer."""


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    message: str
    description: str
    urn: str
    resource_type: str = ""
    resource_name: str = ""

    @property
    def mandatory(self) -> bool:
        return self.level == "mandatory"


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(json.loads(json.dumps(values)))
    return message


def _options(resource: DeclaredResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(protect=resource.protect, parent=resource.parent)


class PolicyPackClient:
    def __init__(self, stub: analyzer_pb2_grpc.AnalyzerStub) -> None:
        self.stub = stub

    def info(self) -> analyzer_pb2.AnalyzerInfo:
        return self.stub.GetAnalyzerInfo(empty_pb2.Empty())

    def configure(self, pack_config: Mapping[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
        """Send Configure as the engine does for `--policy-pack-config`: per policy, the level from the
        file or the policy's default, and its properties over the config schema's defaults.

        Returns what was sent, by policy name.
        """
        sent: dict[str, tuple[str, dict[str, Any]]] = {}
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for policy in self.info().policies:
            entry = pack_config.get(policy.name, {})
            if isinstance(entry, str):
                entry = {"enforcementLevel": entry}
            level = entry.get("enforcementLevel", LEVEL_NAMES[policy.enforcementLevel])
            if level not in LEVELS:
                raise PolicyPackError(f"policy {policy.name}: enforcementLevel {level!r} is not one of "
                                      f"{', '.join(LEVELS)}")
            schema = json_format.MessageToDict(policy.configSchema.properties)
            properties = {key: spec["default"] for key, spec in schema.items() if "default" in spec}
            properties.update({key: value for key, value in entry.items() if key != "enforcementLevel"})
            request.policyConfig[policy.name].CopyFrom(
                analyzer_pb2.PolicyConfig(enforcementLevel=LEVELS[level], properties=_struct(properties)))
            sent[policy.name] = (level, properties)
        self.stub.Configure(request)
        return sent

    def analyze(self, resource: DeclaredResource, properties: Mapping[str, Any] | None = None) -> list[Violation]:
        response = self.stub.Analyze(analyzer_pb2.AnalyzeRequest(
            type=resource.type, name=resource.name, urn=resource.urn,
            properties=_struct(resource.inputs if properties is None else properties),
            options=_options(resource),
        ))
        return self._violations(response, {resource.urn: resource}, default_urn=resource.urn)

    def analyze_stack(self, resources: Iterable[DeclaredResource]) -> list[Violation]:
        by_urn = {r.urn: r for r in resources}
        response = self.stub.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[
            analyzer_pb2.AnalyzerResource(
                type=r.type, name=r.name, urn=r.urn, properties=_struct(r.inputs),
                options=_options(r), parent=r.parent, dependencies=r.dependencies,
                propertyDependencies={key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
                                      for key, urns in r.property_dependencies.items()},
            )
            for r in by_urn.values()
        ]))
        return self._violations(response, by_urn)

    @staticmethod
    def _violations(response: analyzer_pb2.AnalyzeResponse, by_urn: Mapping[str, DeclaredResource],
                    default_urn: str = "") -> list[Violation]:
        found = []
        for diagnostic in response.diagnostics:
            # Analyze leaves urn empty (the engine knows which resource it asked about).
            urn = diagnostic.urn or default_urn
            resource = by_urn.get(urn)
            found.append(Violation(
                policy=diagnostic.policyName, level=LEVEL_NAMES[diagnostic.enforcementLevel],
                # pulumi-policy prefixes the description; keep the message itself.
                message=diagnostic.message.removeprefix(diagnostic.description + "\n"),
                description=diagnostic.description, urn=urn,
                resource_type=resource.type if resource else "", resource_name=resource.name if resource else "",
            ))
        return found


def _read_port(process: subprocess.Popen[bytes], pack_dir: Path) -> int:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT_SECONDS)
    line = process.stdout.readline() if ready else b""
    if not line.strip().isdigit():
        process.kill()
        _, stderr = process.communicate()
        last = (stderr.decode(errors="replace").strip().splitlines() or ["no output"])[-1]
        raise PolicyPackError(f"policy pack at {pack_dir} did not start: {last}")
    return int(line)


@contextmanager
def running_pack(pack_dir: Path, python: str = sys.executable,
                 engine_address: str = "127.0.0.1:0") -> Iterator[PolicyPackClient]:
    """Start the pack (`<project>/policies`) as the engine does, from the project, and yield a client."""
    process = subprocess.Popen([python, str(pack_dir), engine_address], cwd=pack_dir.parent,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        port = _read_port(process, pack_dir)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            grpc.channel_ready_future(channel).result(timeout=STARTUP_TIMEOUT_SECONDS)
            yield PolicyPackClient(analyzer_pb2_grpc.AnalyzerStub(channel))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

