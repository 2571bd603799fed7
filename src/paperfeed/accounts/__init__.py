"""Accounts: users, passwords, sessions, API tokens, votes and libraries (services)."""
