"""Outreach (アウトリーチ): records that may start before anyone is named or consented."""
