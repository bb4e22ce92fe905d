"""`flask --app wsgi intake backup create|restore`: thin wrappers over intake/ops/backup.py."""

from pathlib import Path

import click
from flask.cli import AppGroup

from intake.ops import backup

backup_cli = AppGroup("backup", help="Back up the database and uploads, or restore a backup.")


@backup_cli.command("create")
@click.option(
    "--out",
    "out_dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the archive.",
)
def create(out_dir: Path) -> None:
    """One dated .tar: the database (pg_dump -Fc, or SQLite's online backup), every uploaded
    file, and a manifest of their SHA-256 checksums."""
    try:
        archive = backup.create_backup(out_dir)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(archive))


@backup_cli.command("restore")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(archive: Path) -> None:
    """Restore ARCHIVE into the configured database, which must be new and empty, and its files
    into UPLOAD_DIR. Every file is checked against the manifest first."""
    try:
        restored = backup.restore_backup(archive)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored the {restored.backend} database (revision {restored.revision}) and {restored.files} file(s)")
