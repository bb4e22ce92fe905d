"""The democratic supervision mailbox (民主监督邮箱): turning received mail into feedback items."""
