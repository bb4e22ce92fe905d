"""The rectification ledger (整改台账): tasks routed to a unit, what the unit did, what members
found when they checked (追踪监督), and what reporters thought of the result (回访).

One module per part. Importing the package imports them all, so every table is in the metadata
(Alembic and tests/test_migrations.py compare it) and relationships named by string resolve."""

from intake.rectification.models import holiday_schedule, outbox, ratings, read_audit, tasks, visits  # noqa: F401
