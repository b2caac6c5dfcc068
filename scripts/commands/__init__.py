"""One module per `tables` subcommand."""

from scripts.commands import access, add_gsi, create, drift, export, local, migrate, policy_check, restore, seed, synth

MODULES = [synth, create, drift, export, add_gsi, local, seed, migrate, access, restore, policy_check]
