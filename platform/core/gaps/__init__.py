"""Resource gaps (社会資源の充足状況): unmet needs rolled up by category and area."""
