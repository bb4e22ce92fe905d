"""`flask --app wsgi intake ...`: thin commands over the services."""

import time

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from intake.extensions import db
from intake.timeutil import utcnow

intake_cli = AppGroup("intake", help="intake administration commands.")


@intake_cli.command("seed")
@click.option("--year", type=int, default=None, help="Year of listed supervision (default: this year).")
def seed(year: int | None) -> None:
    """Insert the county's units and the feedback categories (idempotent)."""
    from intake.program.services import seed_listed_units
    from intake.reference.services import seed_reference_data

    units, categories = seed_reference_data()
    if units:
        # A fresh database: the seed's two demo units are this year's listed ones, as in the
        # article. On a database in use, the year's units come from its lottery, not the seed.
        seed_listed_units(year or utcnow().year)
    db.session.commit()
    click.echo(f"seeded {units} unit(s), {categories} categor(ies)")


@intake_cli.command("demo-mail")
@click.argument("subject", required=False)
@click.argument("body", required=False)
@click.option("--from", "sender", default="citizen@example.cn", show_default=True)
@click.option(
    "--sample-reply",
    is_flag=True,
    help="Append the sample reporter's reply by tracking code, once the first sample is an item.",
)
@click.option("--wait", type=float, default=120, show_default=True, help="--sample-reply: seconds to wait for it.")
def demo_mail(subject: str | None, body: str | None, sender: str, sample_reply: bool, wait: float) -> None:
    """Put a message into the demo mailbox of `make run` (IMAP APPEND), as if it had been sent."""
    from pathlib import Path

    from intake.dev import demo_mailbox
    from intake.mailbox import services as mailbox_services

    try:
        box = demo_mailbox.DemoMailbox.load(Path(current_app.instance_path) / "demo-mailbox")
    except demo_mailbox.DemoMailboxUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    if sample_reply:
        deadline = time.monotonic() + wait
        while (item := mailbox_services.item_of_message(demo_mailbox.FIRST_SAMPLE_MESSAGE_ID)) is None:
            db.session.remove()
            if time.monotonic() > deadline:
                raise click.ClickException("the first sample message has not become an item yet")
            time.sleep(1)
        demo_mailbox.append(box, demo_mailbox.reply_with_tracking_code(item.tracking_code))
        click.echo(f"appended the sample reply to {item.tracking_code}")
        return
    if not subject:
        raise click.UsageError("give a SUBJECT (and a BODY), or --sample-reply")
    demo_mailbox.append(box, demo_mailbox.compose(subject, body or subject, sender))
    click.echo(f"appended to {box.user}@{box.host}:{box.port} INBOX")


mailbox_cli = AppGroup("mailbox", help="The mailboxes the watcher ingests.")
intake_cli.add_command(mailbox_cli)


@mailbox_cli.command("list")
def mailbox_list() -> None:
    """Mailboxes with their checkpoint, last error and alert."""
    from intake.mailbox import services as mailbox_services
    from intake.mailbox.models import Mailbox

    mailbox_services.ensure_default_mailbox(current_app.config)
    db.session.commit()
    for m in db.session.scalars(db.select(Mailbox).order_by(Mailbox.id)):
        click.echo(
            f"{m.id}\t{m.name}\t{m.username}@{m.host}:{m.port}/{m.folder}\tactive={m.is_active}"
            f"\tuidvalidity={m.uidvalidity}\tlast_uid={m.last_uid}\tlast_poll={m.last_poll_at}"
        )
        if m.last_error:
            click.echo(f"\tlast error ({m.last_error_at}): {m.last_error}")
        if m.alert:
            click.echo(f"\tALERT ({m.alert_at}): {m.alert}")


@mailbox_cli.command("add")
@click.argument("name")
@click.option("--host", required=True)
@click.option("--port", type=int, default=993)
@click.option("--user", "username", required=True)
@click.option("--password-env", required=True, help="Environment variable that holds the password.")
@click.option("--ssl/--no-ssl", "use_ssl", default=True)
@click.option("--starttls", is_flag=True)
@click.option("--folder", default="INBOX")
@click.option("--processed-folder", default=None)
def mailbox_add(name, host, port, username, password_env, use_ssl, starttls, folder, processed_folder) -> None:
    """Add a further mailbox to watch (its password is never stored)."""
    from intake.mailbox import services as mailbox_services

    mailbox_services.add_mailbox(
        name,
        host=host,
        port=port,
        username=username,
        password_env=password_env,
        use_ssl=use_ssl,
        use_starttls=starttls,
        folder=folder,
        processed_folder=processed_folder,
    )
    db.session.commit()
    click.echo(f"added mailbox {name}")


@mailbox_cli.command("clear-alert")
@click.argument("name")
def mailbox_clear_alert(name: str) -> None:
    """Acknowledge a mailbox's operator alert."""
    from intake.mailbox import receiving as mailbox_receiving
    from intake.mailbox import services as mailbox_services

    found = mailbox_services.active_mailboxes(name)
    if not found:
        raise click.ClickException(f"no active mailbox {name}")
    mailbox_receiving.clear_alert(found[0].id)
    db.session.commit()
    click.echo("alert cleared")


quarantine_cli = AppGroup("quarantine", help="Mail that could not become an item, and over-size mail.")
intake_cli.add_command(quarantine_cli)


@quarantine_cli.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include over-size mail.")
def quarantine_list(show_all: bool) -> None:
    """Quarantined messages (newest first), with the counts of every state."""
    from intake.mailbox import services as mailbox_services
    from intake.mailbox.models import InboundState

    counts = mailbox_services.state_counts()
    click.echo("  ".join(f"{state.value}={count}" for state, count in counts.items()))
    states = (InboundState.quarantined, InboundState.oversize) if show_all else (InboundState.quarantined,)
    for row in mailbox_services.set_aside(states):
        click.echo(
            f"{row.id}\t{row.state.value}\t{row.received_at:%Y-%m-%d %H:%M}\t{row.size}\t"
            f"{row.from_addr or '-'}\t{row.subject or '-'}\t{(row.error or '').splitlines()[0][:120] if row.error else ''}"
        )


@quarantine_cli.command("show")
@click.argument("inbound_id", type=int)
@click.option("--raw", is_flag=True, help="Print the raw message bytes.")
def quarantine_show(inbound_id: int, raw: bool) -> None:
    """One set-aside message: reason, coordinates and headers (or the raw bytes)."""
    from intake.mailbox.models import InboundMessage

    row = db.session.get(InboundMessage, inbound_id)
    if row is None:
        raise click.ClickException(f"no inbound message {inbound_id}")
    if raw:
        click.get_binary_stream("stdout").write(row.raw or b"")
        return
    click.echo(
        f"id: {row.id}\nstate: {row.state.value}\nreason: {row.error or '-'}\nattempts: {row.attempts}"
        f"\nsize: {row.size}\nsha256: {row.sha256}\nmailbox: {row.mailbox_id} uidvalidity={row.uidvalidity}"
        f" uid={row.uid}\nreceived: {row.received_at}\n"
    )
    click.echo(row.headers_text)


@quarantine_cli.command("replay")
@click.argument("inbound_id", type=int)
def quarantine_replay(inbound_id: int) -> None:
    """Send a quarantined message through the pipeline again; an over-size one is fetched anew
    from its mailbox (up to MAX_REPLAY_MESSAGE_MB) by a worker first."""
    from intake.mailbox import quarantine as mailbox_quarantine
    from intake.mailbox.jobs import dispatch_inbound, dispatch_refetch
    from intake.mailbox.models import InboundMessage, InboundState

    row = db.session.get(InboundMessage, inbound_id)
    if row is not None and row.state is InboundState.oversize:
        if not dispatch_refetch(inbound_id):
            raise click.ClickException("Redis unavailable: try again when it is back")
        click.echo(
            f"fetching {inbound_id} anew from its mailbox "
            f"(up to {current_app.config['MAX_REPLAY_MESSAGE_MB']} MB), then replaying it"
        )
        return
    try:
        mailbox_quarantine.replay_inbound(inbound_id)
    except mailbox_quarantine.ReplayError as exc:
        raise click.ClickException(f"message {inbound_id}: {exc}") from exc
    db.session.commit()
    queued = dispatch_inbound([inbound_id])
    click.echo(f"replaying {inbound_id}" + ("" if queued else " (Redis unavailable: the sweeper will enqueue it)"))


def _messages_at(path: str):
    """Raw messages of an mbox file, a Maildir or an .eml file, as bytes."""
    import mailbox
    from pathlib import Path

    p = Path(path)
    if p.is_dir():
        if (p / "cur").is_dir() or (p / "new").is_dir():
            box = mailbox.Maildir(str(p), factory=None, create=False)
            for key in box.iterkeys():
                yield box.get_bytes(key)
        else:
            for child in sorted(p.glob("*.eml")):
                yield child.read_bytes()
    elif p.suffix.lower() == ".eml":
        yield p.read_bytes()
    else:
        box = mailbox.mbox(str(p), factory=None, create=False)
        for key in box.iterkeys():
            yield box.get_bytes(key, from_=False)


@intake_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--acknowledge", is_flag=True, help="Send acknowledgements as for mail received (default: none).")
def import_mail(paths: tuple[str, ...], acknowledge: bool) -> None:
    """Import mail from mbox files, Maildirs or .eml files through the mailbox pipeline."""
    from intake.mailbox import receiving as mailbox_receiving
    from intake.mailbox.jobs import import_batch

    raws = [raw for path in paths for raw in _messages_at(path)]
    size = max(1, current_app.config["IMAP_BATCH_MESSAGES"])
    outcomes: dict[str, int] = {}
    with click.progressbar(length=len(raws), label="importing", show_pos=True) as bar:
        for start in range(0, len(raws), size):
            chunk = raws[start : start + size]
            # Stored and committed first, like fetched mail: an import killed half-way leaves
            # stored rows, which the sweeper's workers finish.
            row_ids = [mailbox_receiving.store_imported(raw, acknowledge=acknowledge).id for raw in chunk]
            db.session.commit()
            for detail in import_batch(row_ids):
                outcomes[detail] = outcomes.get(detail, 0) + 1
            bar.update(len(chunk))
    for outcome, count in sorted(outcomes.items()):
        click.echo(f"{count}\t{outcome}")


@intake_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "xlsx"]), default="jsonl")
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="Output file (default: standard output; required for xlsx).",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="Only items received on or after this date (UTC).",
)
def export_items(fmt: str, out_path: str | None, since) -> None:
    """Export feedback items, one record per item."""
    from intake.mailbox.export import export

    if fmt == "xlsx" and not out_path:
        raise click.BadParameter("xlsx needs --out FILE", param_hint="--out")
    count = export(fmt, out_path, since)
    if out_path:
        click.echo(f"exported {count} item(s) to {out_path}")


def init_app(app: Flask) -> None:
    from intake.appraisal.cli import report_command
    from intake.appraisal.demo import demo_appraisal_command
    from intake.auth.cli import ACCOUNT_COMMANDS
    from intake.ops.cli import backup_cli
    from intake.program.cli import program_cli
    from intake.program.plan_demo import demo_program_command
    from intake.rectification.cli import rectification_cli
    from intake.surveys.demo import demo_surveys_command
    from intake.triage.cli import classifier_cli
    from intake.visits.demo import demo_visits_command

    program_cli.add_command(report_command)
    for command in (
        *ACCOUNT_COMMANDS,
        program_cli,
        demo_program_command,
        demo_visits_command,
        demo_surveys_command,
        demo_appraisal_command,
        rectification_cli,
        classifier_cli,
        backup_cli,
    ):
        intake_cli.add_command(command)
    app.cli.add_command(intake_cli)
