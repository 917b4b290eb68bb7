"""People and households: records, household patterns, duplicate matching."""
