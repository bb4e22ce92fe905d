"""`flask --app wsgi intake ...`: thin commands over the services."""
import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from intake.auth.models import Role
from intake.extensions import db
from intake.timeutil import utcnow

intake_cli = AppGroup("intake", help="intake administration commands.")


@intake_cli.command("seed")
@click.option("--year", type=int, default=None, help="Year of listed supervision (default: this year).")
def seed(year: int | None) -> None:
    """Insert the county's units and the feedback categories (idempotent)."""
    from intake.reference.services import seed_reference_data

    units, categories = seed_reference_data(year or utcnow().year)
    db.session.commit()
    click.echo(f"seeded {units} unit(s), {categories} categor(ies)")


@intake_cli.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.staff.value)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--name", "display_name", default=None)
@click.option("--email", default=None)
@click.option("--unit", "unit_code", default=None, help="Unit code, for a liaison.")
@click.option("--if-missing", is_flag=True, help="Do nothing when the user exists.")
def create_user(username, role, password, display_name, email, unit_code, if_missing) -> None:
    """Create a staff, member, liaison or admin account."""
    from sqlalchemy import select

    from intake.auth import services
    from intake.reference.models import Unit

    if if_missing and services.find_user(username) is not None:
        click.echo(f"user {username} exists")
        return
    unit_id = None
    if unit_code:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise click.BadParameter(f"no unit with code {unit_code}", param_hint="--unit")
        unit_id = unit.id
    try:
        services.create_user(
            username, password, Role(role), display_name=display_name, email=email, unit_id=unit_id
        )
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {role} {username}")


@intake_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run an rq worker for the app's queue (with the scheduler, for retries)."""
    from workers.worker import run_worker

    run_worker(current_app._get_current_object(), burst=burst)


@intake_cli.command("sweep")
@click.option("--every", type=float, default=0, help="Repeat every N seconds (0: once).")
def sweep(every: float) -> None:
    """Enqueue jobs of items committed while Redis was unreachable."""
    from intake.jobs import sweep_undispatched

    while True:
        count = sweep_undispatched()
        if count:
            click.echo(f"dispatched {count} item(s)")
        db.session.remove()
        if not every:
            return
        time.sleep(every)


def init_app(app: Flask) -> None:
    app.cli.add_command(intake_cli)
