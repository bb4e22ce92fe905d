"""Background processes: the rq worker and its jobs (and, later, the mailbox watcher)."""
