"""Tests of the mailbox decoding layer (pure logic, no server)."""
