"""Production operations: secrets, background jobs, logs, metrics, health and readiness.

Like :mod:`kasane.app`, this package may know both the core and the tenants: it runs the
platform rather than serving a tenant.
"""
