"""`flask --app wsgi intake ...` commands for accounts: create one, set its password, end its
sessions, turn off its two-step sign-in. Registered on the `intake` group by intake/cli.py."""

import click
from flask.cli import with_appcontext

from intake.auth.models import Role
from intake.extensions import db


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.staff.value)
@click.option("--password", default=None, help="Shows in `ps` and the shell history: prefer --password-stdin.")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.option("--name", "display_name", default=None)
@click.option("--email", default=None)
@click.option("--unit", "unit_code", default=None, help="Unit code, for a liaison.")
@click.option("--if-missing", is_flag=True, help="Do nothing when the user exists.")
@with_appcontext
def create_user(username, role, password, password_stdin, display_name, email, unit_code, if_missing) -> None:
    """Create a staff, member, liaison or admin account. Without --password or
    --password-stdin a password is made up and printed once; it must be changed at the first
    sign-in."""
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
    generated = password is None and not password_stdin
    if password_stdin:
        import sys

        password = sys.stdin.readline().rstrip("\r\n")
    elif generated:
        password = services.generate_password()
    try:
        user = services.create_user(
            username, password, Role(role), display_name=display_name, email=email, unit_id=unit_id
        )
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    user.must_change_password = generated
    db.session.commit()
    click.echo(f"created {role} {username}")
    if generated:
        click.echo(f"temporary password: {password}  (shown once; to be changed at the first sign-in)")


@click.command("set-password")
@click.argument("username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new password from the first line of standard input instead of prompting.",
)
@with_appcontext
def set_password(username: str, password_stdin: bool) -> None:
    """Give an account a new password; every session of that account ends."""
    from intake.auth import services

    user = services.find_user(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    if password_stdin:
        import sys

        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        services.set_password(user.id, password)
    except services.AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"password of {user.username} changed; all its sessions ended")


@click.command("sign-out-everywhere")
@click.argument("username")
@with_appcontext
def sign_out_everywhere(username: str) -> None:
    """End every session and remember-me cookie of an account (a lost phone, a shared PC)."""
    from intake.auth import services

    user = services.find_user(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    services.revoke_sessions(user.id)
    db.session.commit()
    click.echo(f"all sessions of {user.username} ended")


@click.command("reset-two-factor")
@click.argument("username")
@with_appcontext
def reset_two_factor(username: str) -> None:
    """Turn off an account's two-step sign-in (phone and recovery codes lost); the person signs
    in with the password and sets it up again. Every session of the account ends."""
    from intake.auth import services, twofactor

    user = services.find_user(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    twofactor.disable(user)
    services.revoke_sessions(user.id)
    db.session.commit()
    click.echo(f"two-step sign-in of {user.username} turned off; all sessions ended")


ACCOUNT_COMMANDS = (create_user, set_password, sign_out_everywhere, reset_two_factor)
