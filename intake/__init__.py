"""intake: the supervision mailbox and feedback tracker of a county CPPCC committee."""

import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import INSTANCE_DIR, config_by_name
from intake.extensions import babel, csrf, db, login_manager, migrate


def create_app(config_name: str | None = None, **overrides) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(Path(__file__).resolve().parent.parent / "templates"),
    )
    config_name = config_name or os.environ.get("INTAKE_CONFIG", "development")
    app.config.from_object(config_by_name[config_name]())
    app.config.update(overrides)
    if config_name == "production":
        # Several machines must share the key and nothing can guess the base URL: no fallbacks.
        from intake.ops import startup

        startup.check_or_exit(app.config)
    else:
        _ensure_secret_key(app)
    from intake.core import params

    params.init_app(app)  # the bounded <int:> converter, before any blueprint adds a rule
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    from intake.triage.search import include_object

    migrate.init_app(app, db, render_as_batch=True, include_object=include_object)
    csrf.init_app(app)
    login_manager.init_app(app)

    from intake import i18n

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=None)
    i18n.init_app(app)

    from intake import auth, feedback, mailbox, rectification, triage

    for domain in (feedback, auth, triage, mailbox, rectification):
        domain.init_app(app)

    from intake import program
    from intake.program import plan_web

    program.init_app(app)
    plan_web.init_app(app)

    from intake import visits

    visits.init_app(app)
    from intake import appraisal

    appraisal.init_app(app)
    from intake import surveys

    surveys.init_app(app)

    if app.config["BENCH_ENDPOINTS"]:
        from intake import bench_endpoints

        app.register_blueprint(bench_endpoints.bp)

    from intake import cli, errors, ops
    from intake.core import transport

    ops.init_app(app)
    errors.init_app(app)
    transport.init_app(app)
    cli.init_app(app)
    return app


def _ensure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # Enforce foreign keys and let the web server and workers write concurrently.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()
