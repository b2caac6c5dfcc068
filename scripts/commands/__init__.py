"""One module per `tables` subcommand."""

from scripts.commands import add_gsi, create, drift, export, local, policy_check, synth

MODULES = [synth, create, drift, export, add_gsi, local, policy_check]
