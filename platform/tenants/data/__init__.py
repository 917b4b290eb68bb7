"""Reference data shipped with Kasane (a regular package so importlib.resources finds it)."""
