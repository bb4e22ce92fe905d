"""Staff routes of the mailbox: quarantine, over-size mail, operator alerts, replay."""
from intake.mailbox import bp, models  # noqa: F401
