"""Intake at any counter (相談の受け止め): the consultation record and its outcome."""
