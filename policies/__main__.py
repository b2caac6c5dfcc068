"""Entry point the Pulumi engine runs as `python <pack dir> <engine address>`: serve the pack."""

import sys
from pathlib import Path

# The engine runs this directory as a script, which puts policies/ (not the project) on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.pack import PACK_NAME, POLICIES

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=POLICIES,
    description="DynamoDB guardrails: encryption, point-in-time recovery, on-demand billing, and "
                "environment-specific rules for deletion protection, tags, TTL, naming, streams, access, "
                "backup plans and throttle alarms.",
)
