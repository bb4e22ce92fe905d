"""`flask --app wsgi intake program report --year Y [--unit CODE] --out FILE.pdf`: the year's
notice (通报) as PDF, for one unit or the whole county, for operators."""

from pathlib import Path

import click
from flask.cli import with_appcontext

from intake.appraisal.facts import cycle_unit_of
from intake.appraisal.services import notices
from intake.printing.pdf import PrintingUnavailable
from intake.program.services import get_cycle


@click.command("report")
@click.option("--year", type=int, required=True)
@click.option("--unit", "unit_code", default=None, help="A supervised unit's code; without it, the county's notice.")
@click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def report_command(year: int, unit_code: str | None, out_path: str) -> None:
    """The year's notice of democratic supervision as PDF (a unit's, or the county's)."""
    cycle = get_cycle(year)
    if cycle is None:
        raise click.ClickException(f"no supervision cycle for {year}")
    try:
        if unit_code:
            cu = cycle_unit_of(year, unit_code)
            if cu is None:
                raise click.ClickException(f"{unit_code}: not a supervised unit of {year}")
            pdf = notices.unit_notice_pdf(cu)
        else:
            pdf = notices.county_notice_pdf(cycle)
    except PrintingUnavailable as exc:
        raise click.ClickException(f"printing unavailable: {exc}") from exc
    Path(out_path).write_bytes(pdf)
    click.echo(f"wrote {out_path} ({len(pdf)} bytes)")
