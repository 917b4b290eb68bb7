"""The municipal plugin of a tenant that signed up without one of its own.

It implements no hook: the core's national defaults configure the tenant (counters, forms,
stages) until the municipality installs its own plugin and the operator rebinds the tenant.
"""

NAME = "標準構成"
KASANE_HOOKS = (1, 1)
