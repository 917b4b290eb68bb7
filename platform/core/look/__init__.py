"""Tenant look and words: theme, colours, logo text and terminology set by the tenant admin."""
