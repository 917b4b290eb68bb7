"""Participation support (参加支援): menus, matching, retention contacts."""
