"""`flask --app wsgi intake program ...`: the year's cycle and its lottery from the command line."""

import click
from flask.cli import AppGroup

from intake.extensions import db
from intake.program import services

program_cli = AppGroup("program", help="The annual supervision program (挂牌监督) and its lottery.")
cycle_cli = AppGroup("cycle", help="Supervision cycles (监督年度).")
draw_cli = AppGroup("draw", help="The lottery (抽签): commit, then run with the public random value.")
program_cli.add_command(cycle_cli)
program_cli.add_command(draw_cli)


def _fail(exc: services.ProgramError) -> None:
    db.session.rollback()
    raise click.ClickException(str(exc)) from exc


@cycle_cli.command("create")
@click.option("--year", type=int, required=True)
@click.option(
    "--starts-on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date of the mobilisation meeting; stage due dates are counted in working days from it.",
)
def cycle_create(year: int, starts_on) -> None:
    """Create the year's cycle with its eight stages."""
    try:
        cycle = services.create_cycle(year, starts_on.date() if starts_on else None)
    except services.ProgramError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"created the supervision cycle {cycle.year} with {len(cycle.stages)} stages")


def _exclusion(value: str) -> tuple[str, str]:
    code, sep, reason = value.partition(":")
    if not sep or not code.strip() or not reason.strip():
        raise click.BadParameter(f"{value!r}: give CODE:REASON", param_hint="--exclude")
    return code.strip(), reason.strip()


@draw_cli.command("commit")
@click.option("--year", type=int, required=True)
@click.option("--count", type=int, required=True, help="How many units to draw.")
@click.option("--beacon-source", required=True, help="Where the random value will come from, named in advance.")
@click.option("--beacon-format", default="", help='Its exact format: N is one digit, e.g. "N N N". Default: any value.')
@click.option("--exclude", "excludes", multiple=True, help="CODE:REASON, a unit left out of the pool and why.")
@click.option("--reason", default=None, help="For a correction of an earlier commitment: why.")
def draw_commit(year, count, beacon_source, beacon_format, excludes, reason) -> None:
    """Publish (commit) the pool, count, source and format of the year's draw. Sealed once done."""
    exclusions = dict(_exclusion(value) for value in excludes)
    try:
        commitment = services.commit_draw(
            year, count, beacon_source, beacon_format, exclusions, correction_reason=reason
        )
    except services.ProgramError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(
        f"committed draw {year} #{commitment.sequence}: {count} of {len(commitment.pool)} units, "
        f"pool_sha256 {commitment.pool_sha256}"
    )


@draw_cli.command("run")
@click.option("--year", type=int, required=True)
@click.option("--beacon", required=True, help="The public random value, as published by its source.")
def draw_run(year: int, beacon: str) -> None:
    """Draw with the public random value; the drawn units become the year's 挂牌监督单位."""
    try:
        draw = services.run_draw(year, beacon)
    except services.ProgramError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"drew {year} with beacon {draw.beacon!r}: {' '.join(draw.selected)}")
