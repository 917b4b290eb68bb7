"""The shared core: machinery (db, plugins, web) and the support-flow domain."""
