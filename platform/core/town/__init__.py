"""The town's own settings over its plugin: counters, areas, meetings (issue 20)."""
