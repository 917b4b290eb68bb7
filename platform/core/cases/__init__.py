"""Cases centred on the household: stages, agencies, assessment, plan, notes, monitoring."""
