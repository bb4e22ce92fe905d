"""Developer tools: the local stack of `make run` and its demo supervision mailbox."""
