"""Data migrations: a versioned, locked, resumable runner and its backfill engine.

Migrations themselves import only `scripts.migrate.api`.
"""

# How the backfill engine sends its conditional writes (scripts/migrate/writes.py); here so that
# `tables migrate --help` can list them without loading botocore.
WRITE_APIS = ("batch-statement", "update-item", "transact")
