"""A town's exact figures (実績): the indicator catalogue, periods, counts, targets, exports."""
