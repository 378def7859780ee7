"""Staff accounts: sign-in with a second factor, roles, and the audit log."""
