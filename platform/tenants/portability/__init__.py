"""Tenant export (JSON Lines + manifest), import into a fresh instance, and deletion on offboarding."""
