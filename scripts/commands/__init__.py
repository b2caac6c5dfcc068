"""One module per `tables` subcommand."""

from scripts.commands import (
    access,
    add_gsi,
    cost,
    create,
    drift,
    export,
    local,
    migrate,
    patterns,
    plan,
    policy_check,
    prewarm,
    restore,
    scaffold,
    seed,
    synth,
)

MODULES = [synth, create, drift, plan, export, scaffold, add_gsi, local, seed, migrate, patterns, access, restore,
           policy_check, cost, prewarm]
