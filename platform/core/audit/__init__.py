"""Per-tenant, append-only, hash-chained audit log."""
