"""Data protection: refusing マイナンバー and sealing sensitive free text per tenant.

* :mod:`~kasane.core.protection.mynumber` finds Individual Numbers (個人番号) in any text so
  forms can refuse them — Kasane never stores one.
* :mod:`~kasane.core.protection.crypto` seals sensitive fields with AES-256-GCM under a
  per-tenant data key; the data key is stored wrapped by a master key derived from the
  application's secret key, and destroying it on offboarding makes the tenant's sealed data
  unreadable.
"""
