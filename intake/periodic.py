"""The periodic work of the service, declared in one place: what runs, how often. `flask --app
wsgi intake periodic` runs it all in one process (the Procfile's `periodic`); each task is
idempotent, so an overlap or a second runner only repeats a no-op."""

from collections.abc import Callable
from dataclasses import dataclass

from intake.feedback.jobs import sweep_items
from intake.mailbox.jobs import sweep_inbound
from intake.rectification import jobs as rectification_jobs
from intake.triage.jobs import erase_contacts_past_retention, sweep_replies


def sweep() -> int:
    """Hand the workers what Redis never got or lost: new items' follow-up, stored mail's parse
    jobs, staff replies. Returns how many were handed over."""
    return sweep_items() + sweep_inbound() + sweep_replies()


@dataclass(frozen=True)
class Periodic:
    name: str
    every_seconds: float
    run: Callable[[], object]
    doc: str


PERIODIC = (
    Periodic("sweep", 30, sweep, "re-enqueue what Redis never got or lost"),
    Periodic(
        "rectification-tick",
        300,
        rectification_jobs.tick,
        "reminders and escalations of the ledger, lost closure notices",
    ),
    Periodic(
        "retention",
        3600,
        erase_contacts_past_retention,
        "erase reporters' contact details CONTACT_RETENTION_DAYS after their report was closed",
    ),
)


def by_name(name: str) -> Periodic:
    for task in PERIODIC:
        if task.name == name:
            return task
    raise KeyError(name)
