"""Consent ledger and disclosure records (legal basis of every sharing)."""
