"""`flask --app wsgi intake rectification ...`: thin commands over the ledger's services."""

import time
from datetime import date

import click
from flask.cli import AppGroup

from intake.extensions import db

rectification_cli = AppGroup("rectification", help="The rectification ledger (整改台账).")


@rectification_cli.command("tick")
@click.option("--every", type=float, default=0, help="Repeat every N seconds (0: once).")
@click.option(
    "--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Pretend it is this day (for checks)."
)
def tick(every: float, today) -> None:
    """Create due reminders and escalations and enqueue unsent mail. Running it twice sends
    nothing twice (one row per task, kind and deadline)."""
    from intake.rectification import jobs

    while True:
        result = jobs.tick(today.date() if today else None)
        if any(result.values()):
            click.echo(
                f"created {result['created']} reminder(s); enqueued {result['reminders']} "
                f"reminder(s), {result['notices']} closure notice(s)"
            )
        db.session.remove()
        if not every:
            return
        time.sleep(every)


@rectification_cli.command("calendar-check")
@click.argument("year", type=int, required=False)
def calendar_check(year: int | None) -> None:
    """Say whether the working-day calendar knows YEAR (default: this year, next year and the
    years of provisional deadlines). Exit 1 while one is missing."""
    from intake.rectification.services.deadlines import years_in_use
    from intake.rectification.workdays import current_calendar

    today = date.today()
    years = [year] if year else sorted(set(years_in_use(today)) | {today.year, today.year + 1})
    missing = [y for y in years if not current_calendar().covers(y)]
    for y in years:
        click.echo(f"{y}: {'missing' if y in missing else 'ok'}")
    if missing:
        raise SystemExit(1)


@rectification_cli.command("recompute-deadlines")
def recompute_deadlines() -> None:
    """Count provisional deadlines again on today's calendar (after a holiday schedule was
    entered, WORKDAY_CALENDAR_FILE extended or chinese-calendar upgraded). Each change is an
    event on its task."""
    from intake.rectification.services.deadlines import recompute_provisional_deadlines

    changed = recompute_provisional_deadlines()
    db.session.commit()
    for task in changed:
        state = f"still provisional ({task.provisional_years})" if task.deadline_provisional else "final"
        click.echo(f"{task.code}: deadline {task.deadline.isoformat()}, {state}")
    click.echo(f"{len(changed)} deadline(s) changed")
