"""Hostile IAM documents and resource policies, each a file in tests/iam_corpus/, through the real pack.

Each file holds one case: the stack it is judged in, its resources (an IAM role policy, role, managed
policy or DynamoDB resource policy), the verdict and the reason a reviewer would give, and per resource
what its violations must name (the action, the resource, the kind of problem) and the exact messages.
The verdicts, reasons and names are written by hand; the exact messages pin the wording.

Every case runs through each resource policy of the pack called directly (as pulumi-policy calls it,
through its unknown-checking proxy), with the environment's `policies/config/<stack>.json`; a sample
runs over gRPC, through the pack started as the engine starts it.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import ResourceValidationArgs, ResourceValidationPolicy
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import unknown_checking_proxy

from policies.pack import POLICIES, load_environment_config
from scripts.mock_stack import DeclaredResource
from scripts.policy_client import PolicyPackClient, running_pack
from tests.project import PROJECT_DIR
from tests.test_policies import OPTIONS, schema_defaults

CORPUS = Path(__file__).parent / "iam_corpus"
CASES = sorted(CORPUS.glob("*.json"))
# Every fifth case (and the last) goes over gRPC too: each kind of resource is among them.
GRPC_SAMPLE = CASES[::5] + CASES[-1:]


def with_documents(props: dict[str, Any]) -> dict[str, Any]:
    """The resource's inputs as the engine sends them: policy documents as JSON strings."""
    props = json.loads(json.dumps(props))
    if isinstance(props.get("policy"), dict):
        props["policy"] = json.dumps(props["policy"])
    for inline in props.get("inlinePolicies", []):
        inline["policy"] = json.dumps(inline["policy"])
    return props


def judge(stack: str, resource: dict[str, Any]) -> list[str]:
    """`policy-name: message` for every violation the pack's resource policies report, in pack order."""
    config = load_environment_config(stack)
    urn = f"urn:pulumi:{stack}::dynamodb-tables::{resource['type']}::case"
    found: list[str] = []
    for policy in POLICIES:
        if not isinstance(policy, ResourceValidationPolicy):
            continue
        settings = {k: v for k, v in config.get(policy.name, {}).items() if k != "enforcementLevel"}
        args = ResourceValidationArgs(resource["type"], unknown_checking_proxy(with_documents(resource["props"])),
                                      urn, "case", OPTIONS, None, {**schema_defaults(policy), **settings})
        with contextlib.suppress(_NotApplicableError):
            policy.validate(args, lambda message, urn=None, name=policy.name: found.append(  # type: ignore[misc]
                f"{name}: {message}"))
    return found


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def test_the_corpus_has_at_least_forty_cases_of_both_verdicts() -> None:
    verdicts = [load(path)["verdict"] for path in CASES]
    assert len(verdicts) >= 40
    assert {"violation", "pass"} == set(verdicts)


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_each_case_gets_its_verdict_and_names_what_it_should(path: Path) -> None:
    case = load(path)
    messages = []
    for resource in case["resources"]:
        found = judge(case["stack"], resource)
        for mentions in resource["mentions"]:
            assert any(all(m in message for m in mentions) for message in found), (
                f"{path.name}: no violation names {mentions}; found {found}")
        assert found == resource["expected"], path.name
        messages += found
    assert (case["verdict"] == "violation") == bool(messages), f"{path.name}: {case['reason']}"


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPackClient]:
    with running_pack(PROJECT_DIR / "policies", python=sys.executable) as client:
        yield client


@pytest.mark.parametrize("path", GRPC_SAMPLE, ids=[p.stem for p in GRPC_SAMPLE])
def test_over_grpc_a_sample_of_the_corpus_gets_the_same_violations(pack: PolicyPackClient, path: Path) -> None:
    case = load(path)
    pack.configure(load_environment_config(case["stack"]))
    for index, resource in enumerate(case["resources"]):
        name = f"case-{index}"
        declared = DeclaredResource(type=resource["type"], name=name, custom=True, parent="", protect=False,
                                    urn=f"urn:pulumi:{case['stack']}::dynamodb-tables::{resource['type']}::{name}",
                                    inputs=with_documents(resource["props"]), retain_on_delete=False, import_id="")
        found = [f"{v.policy}: {v.message}" for v in pack.analyze(declared)]
        assert sorted(found) == sorted(resource["expected"]), path.name
