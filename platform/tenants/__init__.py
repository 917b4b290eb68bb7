"""Tenants: the Tenant model, lifecycle, host → tenant resolution, demo seeding."""
