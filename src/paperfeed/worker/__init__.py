"""`paperfeed worker`: scheduled fetch, index and digest jobs, shared by any number of workers
through the database (see docs/worker.md)."""
