"""rq jobs of the rectification ledger: thin wrappers over intake.rectification.notify. The
worker provides the app context; errors propagate so rq's retry sees them."""
from intake.rectification import notify


def notify_closure(notice_id: int) -> str:
    """Tell one reporter the outcome of the task their report was part of (回访)."""
    return notify.notify_closure(notice_id)


def send_reminder(reminder_id: int) -> str:
    """A reminder to the unit before a deadline, or an escalation to staff after it."""
    return notify.send_reminder(reminder_id)


def tick() -> dict:
    """The periodic pass (reminders, escalations, lost enqueues); idempotent."""
    return notify.tick()
