"""Municipal plugins shipped with Kasane (import name kasane_plugins)."""
