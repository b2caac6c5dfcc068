"""One module per `tables` subcommand."""

from scripts.commands import (
    access,
    add_gsi,
    create,
    drift,
    export,
    local,
    migrate,
    plan,
    policy_check,
    restore,
    scaffold,
    seed,
    synth,
)

MODULES = [synth, create, drift, plan, export, scaffold, add_gsi, local, seed, migrate, access, restore, policy_check]
