"""Email subscriptions and digests, delivered exactly once through an outbox (issue #5).

subscriptions.py (double opt-in, choices), tokens.py (signed, revocable links), schedule.py
(periods after arXiv's announcements), compose.py (what a subscriber gets now), mail.py (MIME
messages and SMTP), outbox.py (claims, leases, retries), jobs.py (`run_digests`), feed.py
(each subscriber's digest as a private feed).
"""
