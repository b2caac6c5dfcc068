"""Nothing a user deployed may change: every stack declares exactly the URNs it declared before.

A URN holds the project, the stack, the type tokens of the resource and its parents, and the logical
name. Change any of them and `pulumi up` plans to delete the deployed table and create an empty one
(or, for a protected prod table, fails). `tests/data/urns/` was recorded from the program before the
one-way-layers restructuring.
"""

from __future__ import annotations

import pytest

from scripts.mock_stack import run_program
from tests.project import DATA_DIR, PROJECT_DIR, shipped_stacks

URNS_DIR = DATA_DIR / "urns"


def test_every_shipped_stack_has_a_recorded_urn_set() -> None:
    assert sorted(p.stem for p in URNS_DIR.glob("*.txt")) == shipped_stacks()


@pytest.mark.parametrize("stack", shipped_stacks())
def test_the_program_declares_exactly_the_recorded_urns(stack: str) -> None:
    recorded = set((URNS_DIR / f"{stack}.txt").read_text().split())
    declared = {resource.urn for resource in run_program(PROJECT_DIR, stack).resources}
    assert declared - recorded == set(), f"{stack}: new URNs (a rename would replace what they name)"
    assert recorded - declared == set(), f"{stack}: URNs no longer declared (pulumi up would delete them)"


@pytest.mark.parametrize("stack", shipped_stacks())
def test_tables_are_children_of_their_family_component(stack: str) -> None:
    declared = run_program(PROJECT_DIR, stack)
    components = {r.urn: r for r in declared.resources if not r.custom}
    for table in declared.tables.values():
        parent = components[table.parent]
        assert parent.type.startswith("dynamodbTables:families:"), table.urn
        assert table.name.startswith(f"{parent.name}-"), f"{table.urn} is not named after its family {parent.name}"
