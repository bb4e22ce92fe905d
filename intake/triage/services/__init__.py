"""The staff queue and the write operations of triage: filters, counts, keyset pages, search;
assignment, notes, merging duplicates, bulk actions, saved views, the reporter's identity
(every view audited) and replies to the reporter, each part in a module beside this one.

Services take plain values and ids and flush; the request or job commits."""


class TriageError(ValueError):
    """A triage action that cannot be done (unknown user, final item, no address...)."""
