"""Staff accounts, sessions and login (local Argon2 passwords; SSO arrives later)."""
