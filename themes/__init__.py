"""Themes (import name kasane_themes): templates and CSS tokens only, no Python."""
