"""Background jobs on procrastinate: the scheduled jobs, their runs, the worker."""
