"""Decode one raw mailbox message (bytes) into a ParsedMessage: charsets, headers, bodies, attachments.
Pure logic, no server and no database; the caller keeps the raw bytes and quarantines what we refuse.

`parsing.parse_message` is the entry point and `parsed` holds what it returns; `charsets` (with
`guessing` for unlabelled bytes), `cleanup`, `headers`, `html`, `filenames`, `parts` and `tnef` are
the pieces it is made of."""
