"""A backup restored into a fresh database: every item, attachment file and audit event is
there, on SQLite and on PostgreSQL (a new database); a non-empty database is refused."""

import hashlib
import io
import tarfile
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from intake import create_app
from intake.extensions import db
from intake.feedback import services
from intake.feedback.models import Attachment, Event, FeedbackItem, ItemStatus
from intake.storage import path_for
from tests import servers
from tests.factories import PDF_MINIMAL, PNG_1X1, create_item, upload


@pytest.fixture
def fresh_database(backend, postgres_admin_url, tmp_path):
    with servers.fresh_database(backend, postgres_admin_url, tmp_path, "intake_restore") as url:
        yield url


def snapshot():
    items = [(i.tracking_code, i.body, i.status.value) for i in db.session.scalars(select(FeedbackItem).order_by("id"))]
    files = [
        (a.original_name, a.stored_name, hashlib.sha256(path_for(a.stored_name).read_bytes()).hexdigest())
        for a in db.session.scalars(select(Attachment).order_by("id"))
    ]
    events = [(e.item_id, e.kind.value, e.note, e.to_value) for e in db.session.scalars(select(Event).order_by("id"))]
    return items, files, events


def test_a_backup_restores_into_a_fresh_database(app, runner, users, fresh_database, tmp_path):
    with app.app_context():
        first = create_item(subject="路灯不亮", uploads=[upload("现场.png", PNG_1X1)])
        create_item(subject="窗口无人", uploads=[upload("规定.pdf", PDF_MINIMAL, "application/pdf")])
        services.change_status(first, ItemStatus.accepted, actor_id=users["staff"], note="已核实")
        db.session.commit()
        before = snapshot()
    assert len(before[0]) == 2 and len(before[1]) == 2 and len(before[2]) == 3

    result = runner.invoke(args=["intake", "backup", "create", "--out", str(tmp_path / "backups")])
    assert result.exit_code == 0, result.output
    archive = Path(result.output.strip())
    assert archive.name.startswith("intake-backup-") and archive.suffix == ".tar"

    refused = runner.invoke(args=["intake", "backup", "restore", str(archive)])
    assert refused.exit_code != 0 and "not empty" in refused.output

    restored = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=fresh_database,
        REDIS_URL=app.config["REDIS_URL"],
        UPLOAD_DIR=str(tmp_path / "restored-uploads"),
    )
    result = restored.test_cli_runner().invoke(args=["intake", "backup", "restore", str(archive)])
    assert result.exit_code == 0, result.output
    with restored.app_context():
        assert snapshot() == before
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_damaged_archive_is_refused_before_anything_is_written(app, runner, fresh_database, tmp_path):
    with app.app_context():
        create_item(uploads=[upload("现场.png", PNG_1X1)])
        db.session.commit()
    archive = Path(runner.invoke(args=["intake", "backup", "create", "--out", str(tmp_path)]).output.strip())
    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as source, tarfile.open(damaged, "w") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name.startswith("uploads/"):
                data = data[:-1] + b"!"
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    restored = create_app("test", SQLALCHEMY_DATABASE_URI=fresh_database, UPLOAD_DIR=str(tmp_path / "restored"))
    result = restored.test_cli_runner().invoke(args=["intake", "backup", "restore", str(damaged)])
    assert result.exit_code != 0 and "checksum" in result.output
    with restored.app_context():
        assert inspect(db.engine).get_table_names() == []
