"""Tenant portability: the full export (JSON Lines + manifest), its import into a fresh
instance, and deletion on offboarding."""
