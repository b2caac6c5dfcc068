"""Data migrations: a versioned, locked, resumable runner and its backfill engine."""
