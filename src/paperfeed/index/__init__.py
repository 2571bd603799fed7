"""Derived indexes: rebuilt from the database, caught up by the papers' change sequence."""
