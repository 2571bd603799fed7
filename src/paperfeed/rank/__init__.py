"""Ranked lists of papers (daily, trending, author, category): queries for the web and API."""
