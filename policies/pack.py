"""The policy pack's contents, importable without starting the gRPC server.

`PolicyPack(...)` serves forever, so `policies/__main__.py` is the only place that builds one;
tests and `tables policy-check` import the policies from here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pulumi_policy import Policy

from policies.dynamodb.cost import COST_POLICIES
from policies.dynamodb.hot_keys import HOT_KEY_POLICIES
from policies.dynamodb.keys import KEY_POLICIES
from policies.dynamodb.recovery import RECOVERY_POLICIES
from policies.dynamodb.resource_policies import RESOURCE_POLICY_POLICIES
from policies.dynamodb.stack import STACK_POLICIES
from policies.dynamodb.tables import TABLE_POLICIES
from policies.dynamodb.vault_lock import VAULT_POLICIES
from policies.iam.access import IAM_POLICIES

PACK_NAME = "dynamodb-guardrails"
PACK_DIR = Path(__file__).resolve().parent
CONFIG_DIR = PACK_DIR / "config"

POLICIES: list[Policy] = [*TABLE_POLICIES, *KEY_POLICIES, *RESOURCE_POLICY_POLICIES, *STACK_POLICIES,
                          *RECOVERY_POLICIES, *VAULT_POLICIES, *IAM_POLICIES, *HOT_KEY_POLICIES, *COST_POLICIES]


def pack_version() -> str:
    for line in (PACK_DIR / "PulumiPolicy.yaml").read_text().splitlines():
        if line.startswith("version:"):
            return line.split(":", 1)[1].strip()
    raise ValueError("PulumiPolicy.yaml has no version")


def environment_config_path(environment: str, config_dir: Path = CONFIG_DIR) -> Path:
    return config_dir / f"{environment}.json"


def load_environment_config(environment: str, config_dir: Path = CONFIG_DIR) -> dict[str, Any]:
    """The `--policy-pack-config` file for an environment (from the project's `policies/config/`)."""
    path = environment_config_path(environment, config_dir)
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in config_dir.glob("*.json")))
        raise FileNotFoundError(f"no policy config for environment '{environment}' at {path}; known: {known}")
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: expected a JSON object of policy names")
    return config
