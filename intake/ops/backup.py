"""Backups: the database and the uploads folder in one dated tar archive, with a manifest of
every file's SHA-256; and their restore into an empty database.

PostgreSQL is dumped with `pg_dump -Fc` and restored with `pg_restore`; SQLite is copied with
its online backup API (consistent while the service writes). The archive holds:

    manifest.json          backend, schema revision, time, and {path: sha256} of the others
    database.dump          (PostgreSQL) or database.sqlite3 (SQLite)
    uploads/<stored name>  every stored file (their names are generated; see intake/storage.py)
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL

from intake.extensions import db
from intake.storage import upload_root
from intake.timeutil import utcnow

MANIFEST = "manifest.json"
DUMPS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why."""


@dataclass(frozen=True)
class Restored:
    backend: str
    revision: str | None
    files: int


def _backend(url: URL) -> str:
    name = url.get_backend_name()
    if name not in DUMPS:
        raise BackupError(f"cannot back up a {name} database")
    return name


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_env(url: URL) -> dict[str, str]:
    """libpq's settings from the SQLAlchemy URL, in the environment: a password on the command
    line would show in `ps`."""
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value is not None:
            env[key] = str(value)
    return env


def _run(argv: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BackupError(f"{argv[0]} is not installed (apt-get install postgresql-client)") from exc
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {done.stderr.strip()}")


def _dump_database(url: URL, target: Path) -> None:
    if _backend(url) == "postgresql":
        _run(["pg_dump", "-Fc", "--no-owner", "--no-privileges", "-f", str(target)], _pg_env(url))
        return
    source = sqlite3.connect(url.database)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
    finally:
        copy.close()
        source.close()


def _revision() -> str | None:
    if not inspect(db.engine).has_table("alembic_version"):
        return None
    return db.session.scalar(text("SELECT version_num FROM alembic_version"))


def _stored_files(root: Path):
    """Every stored file under the uploads folder, never a half-written one (`.part-*`)."""
    if not root.exists():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith(".part-"):
            yield path


def create_backup(out_dir: Path, now: datetime | None = None) -> Path:
    """Write `intake-backup-YYYYmmdd-HHMMSS.tar` into `out_dir` and return its path. The
    archive appears under its name only when complete."""
    now = now or utcnow()
    url = db.engine.url
    backend = _backend(url)
    out_dir.mkdir(parents=True, exist_ok=True)
    archive = out_dir / f"intake-backup-{now:%Y%m%d-%H%M%S}.tar"
    root = upload_root()
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".backup-") as work:
        dump = Path(work) / DUMPS[backend]
        _dump_database(url, dump)
        files = {DUMPS[backend]: _sha256(dump)}
        uploads = [(path, f"uploads/{path.relative_to(root).as_posix()}") for path in _stored_files(root)]
        for path, name in uploads:
            files[name] = _sha256(path)
        manifest = {
            "format": 1,
            "created_at": now.isoformat(timespec="seconds") + "Z",
            "backend": backend,
            "revision": _revision(),
            "files": files,
        }
        db.session.rollback()
        (Path(work) / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
        partial = Path(work) / archive.name
        with tarfile.open(partial, "w") as tar:
            tar.add(Path(work) / MANIFEST, arcname=MANIFEST)
            tar.add(dump, arcname=DUMPS[backend])
            for path, name in uploads:
                tar.add(path, arcname=name)
        os.replace(partial, archive)
    return archive


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BackupError(f"unsafe path in the archive: {name}")
    return path


def _unpack(archive: Path, work: Path) -> dict:
    """Extract the archive's regular files into `work`, check each against the manifest, and
    return the manifest."""
    try:
        tar = tarfile.open(archive, "r")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"not a backup archive: {exc}") from exc
    with tar:
        for member in tar.getmembers():
            if not member.isfile():
                continue
            target = work / _safe_member(member.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            with tar.extractfile(member) as source, open(target, "wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
    manifest_path = work / MANIFEST
    if not manifest_path.exists():
        raise BackupError("the archive has no manifest")
    manifest = json.loads(manifest_path.read_text())
    for name, expected in manifest["files"].items():
        path = work / _safe_member(name)
        if not path.exists():
            raise BackupError(f"{name} is missing from the archive")
        if _sha256(path) != expected:
            raise BackupError(f"{name} does not match its checksum: the archive is damaged")
    return manifest


def _refuse_non_empty_database() -> None:
    tables = inspect(db.engine).get_table_names()
    if tables:
        raise BackupError(f"the database is not empty ({len(tables)} tables): restore into a new, empty database")


def _restore_database(url: URL, backend: str, dump: Path) -> None:
    if backend == "postgresql":
        argv = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        _run([*argv, "-d", url.database, str(dump)], _pg_env(url))
        return
    source = sqlite3.connect(dump)
    target = sqlite3.connect(url.database)
    try:
        with target:
            source.backup(target)
    finally:
        target.close()
        source.close()


def restore_backup(archive: Path) -> Restored:
    """Restore `archive` into the configured database, which must be empty and of the same
    kind, and its files into the uploads folder (never over a different file)."""
    url = db.engine.url
    backend = _backend(url)
    _refuse_non_empty_database()
    db.session.remove()
    db.engine.dispose()
    root = upload_root()
    with tempfile.TemporaryDirectory(prefix="intake-restore-") as work_dir:
        work = Path(work_dir)
        manifest = _unpack(archive, work)
        if manifest["backend"] != backend:
            raise BackupError(f"a {manifest['backend']} backup cannot be restored into {backend}")
        uploads = [name for name in manifest["files"] if name.startswith("uploads/")]
        for name in uploads:
            target = root / PurePosixPath(name).relative_to("uploads")
            if target.exists() and _sha256(target) != manifest["files"][name]:
                raise BackupError(f"{target} exists with other content: restore into an empty uploads folder")
        _restore_database(url, backend, work / DUMPS[backend])
        for name in uploads:
            target = root / PurePosixPath(name).relative_to("uploads")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(work / _safe_member(name), target)
    db.engine.dispose()
    return Restored(backend=backend, revision=manifest.get("revision"), files=len(uploads))
