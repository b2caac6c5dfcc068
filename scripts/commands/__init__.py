"""One module per `tables` subcommand."""

from scripts.commands import policy_check

MODULES = [policy_check]
