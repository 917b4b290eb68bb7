"""Meetings: 支援会議, 重層的支援会議 and each town's own — schedule, agenda, decisions."""
