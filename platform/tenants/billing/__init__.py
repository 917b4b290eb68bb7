"""Billing behind a small interface: Stripe in production, a local implementation in tests."""
