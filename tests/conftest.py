"""Shared fixtures: real PostgreSQL, SQLite, Redis, SMTP and Chromium, as in production.

Each test gets a fresh app bound to clean tables on one backend; `backend` is parametrized so
model and route tests run on both SQLite and PostgreSQL."""

import os
import re
import threading
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import text

from intake import create_app
from intake.extensions import db
from tests import servers

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session", autouse=True)
def remembered_url_builders():
    """Each test makes a fresh app, and most of `create_app`'s time (~45 of 55 ms here) is
    werkzeug compiling the same URL builder functions for the same ~180 rules again. A builder
    depends only on the rule's parsed parts, its converters, its defaults and whether unknown
    arguments are appended, so the tests keep each one compiled once (the app is untouched;
    werkzeug is given back at the end of the session)."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    built: dict = {}

    def remembered(self, append_unknown: bool = True):
        converters = tuple((name, type(c).__name__) for name, c in self._converters.items())
        key = (tuple(self._trace), converters, repr(sorted((self.defaults or {}).items())), append_unknown)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    Rule._compile_builder = remembered
    yield
    Rule._compile_builder = compile_builder


# --- the clock ---------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def test_clock():
    """INTAKE_TEST_TODAY=YYYY-MM-DD runs the suite as if it were that day (noon in the county,
    the clock ticking on from there). `make test` runs the date-sensitive tests again on a
    month end, a year end and the Spring Festival, so no test depends on the day it runs.
    Only this process's clock moves; the servers and subprocesses keep the real one."""
    day = os.environ.get("INTAKE_TEST_TODAY")
    if not day:
        yield None
        return
    with time_machine.travel(datetime.fromisoformat(f"{day}T12:00:00+08:00"), tick=True) as traveller:
        yield traveller


# --- servers (one of each per test session) ---------------------------------------------


@pytest.fixture(scope="session")
def workdir():
    return servers.tempdir("intake-tests-")


@pytest.fixture(scope="session")
def redis_server(workdir):
    try:
        server = servers.start_redis(workdir)
    except servers.ServerUnavailable as exc:
        servers.fail("redis", str(exc))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server):
    return f"redis://127.0.0.1:{redis_server.port}/0"


@pytest.fixture(scope="session")
def postgres_admin_url(workdir):
    url = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    if servers.postgres_answers(url):
        yield url
        return
    try:
        server, url = servers.start_private_postgres(workdir / "pg")
    except servers.ServerUnavailable as exc:
        servers.fail("postgresql", f"nothing answers at TEST_DATABASE_URL and no private server: {exc}")
    yield url
    server.stop()


def _migrate(url: str, upload_dir: str) -> None:
    from flask_migrate import upgrade

    app = create_app("test", SQLALCHEMY_DATABASE_URI=url, UPLOAD_DIR=upload_dir)
    with app.app_context():
        upgrade(directory=os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations"))
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_database_url(workdir):
    """The session's migrated SQLite database (migrations are tested here)."""
    (workdir / "mig-uploads").mkdir(exist_ok=True)
    url = f"sqlite:///{workdir / 'intake-test.sqlite3'}"
    _migrate(url, str(workdir / "mig-uploads"))
    return url


@pytest.fixture(scope="session")
def postgresql_database_url(workdir, postgres_admin_url):
    """The session's migrated PostgreSQL database, made the first time a test asks for it (a
    run of SQLite tests only, as `make test-dates`, makes none)."""
    (workdir / "mig-uploads").mkdir(exist_ok=True)
    pg_name = f"intake_test_{os.getpid()}"
    url = servers.create_database(postgres_admin_url, pg_name)
    _migrate(url, str(workdir / "mig-uploads"))
    yield url
    servers.drop_database(postgres_admin_url, pg_name)


@pytest.fixture
def database_urls(backend, request):
    """{backend: URL} of the session's migrated database for this test's backend."""
    return {backend: request.getfixturevalue(f"{backend}_database_url")}


# --- per-test app ----------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request):
    return request.param


def _clean_tables() -> None:
    # DELETE, children first, rather than TRUNCATE: on these small tables it is ~10x faster on
    # PostgreSQL (TRUNCATE swaps every table's files), which is most of a test's setup time.
    # The lottery's sealed_* triggers refuse DELETE: set aside for this transaction only, as an
    # administrator purging a database would (PostgreSQL: replica role; SQLite: drop, recreate).
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        # One round trip: every DELETE, then what TRUNCATE ... RESTART IDENTITY did (ids start
        # at 1 again), in a DO block rather than ~120 statements sent one by one.
        # Only tables with a row and sequences that have been used: most tests touch few.
        deletes = "".join(f'IF EXISTS (SELECT FROM "{name}") THEN DELETE FROM "{name}"; END IF; ' for name in tables)
        db.session.execute(
            text(
                "DO $$ DECLARE s text; BEGIN SET LOCAL session_replication_role = replica; "
                f"{deletes}"
                "FOR s IN SELECT sequencename FROM pg_sequences "
                "WHERE schemaname = current_schema() AND last_value IS NOT NULL "
                "LOOP EXECUTE format('ALTER SEQUENCE %I RESTART', s); END LOOP; END $$"
            )
        )
    else:
        sealed = db.session.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sealed%'")
        ).all()
        for name, _sql in sealed:
            db.session.execute(text(f'DROP TRIGGER "{name}"'))
        for name in tables:
            db.session.execute(text(f'DELETE FROM "{name}"'))
        for _name, sql in sealed:
            db.session.execute(text(sql))
    db.session.commit()


@pytest.fixture
def app(backend, database_urls, redis_url, redis_server, tmp_path):
    import redis

    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_urls[backend],
        REDIS_URL=redis_url,
        UPLOAD_DIR=str(tmp_path / "uploads"),
    )
    redis.Redis.from_url(redis_url).flushdb()
    with app.app_context():
        _clean_tables()
        from intake.program.services import seed_listed_units
        from intake.reference.services import seed_reference_data

        seed_reference_data()
        seed_listed_units(2026)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """The `flask intake` commands as `wsgi.py` has them, the process commands included."""
    import workers.cli

    workers.cli.init_app(app)
    return app.test_cli_runner()


# --- accounts and helpers ----------------------------------------------------------------


def make_user(app, username: str, role: str, unit_code: str | None = None):
    from sqlalchemy import select

    from intake.auth.models import Role
    from intake.auth.services import create_user
    from intake.reference.models import Unit

    with app.app_context():
        unit_id = None
        if unit_code:
            unit_id = db.session.scalar(select(Unit.id).where(Unit.code == unit_code))
        user = create_user(username, PASSWORD, Role(role), display_name=username.title(), unit_id=unit_id)
        db.session.commit()
        return user.id


@pytest.fixture
def users(app):
    """One account of each role; the liaison belongs to the service bureau (zwfw)."""
    return {
        "admin": make_user(app, "admin", "admin"),
        "staff": make_user(app, "staff", "staff"),
        "member": make_user(app, "member", "member"),
        "liaison": make_user(app, "liaison", "liaison", unit_code="zwfw"),
    }


# WTForms writes name before type; base.html's sign-out form writes type first.
CSRF_RE = re.compile(r'<input[^>]*\bname="csrf_token"[^>]*\bvalue="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in page"
    return match.group(1)


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD):
        token = csrf_token_from(self.client.get("/auth/login").get_data(as_text=True))
        return self.client.post("/auth/login", data={"csrf_token": token, "username": username, "password": password})

    def logout(self):
        token = csrf_token_from(self.client.get("/staff/").get_data(as_text=True))
        return self.client.post("/auth/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return AuthActions(client)


# --- live server, browser, SMTP ----------------------------------------------------------


@pytest.fixture
def live_server(app):
    from werkzeug.serving import make_server

    port = servers.free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(5)


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        servers.fail(
            "chromium", f"{CHROMIUM} not found (apt-get install chromium chromium-driver; `make test` does this)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as exc:  # noqa: BLE001 - any launch failure is reported as such
            servers.fail("chromium", f"could not launch: {exc}")
        yield browser
        browser.close()


PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x1800323c) NetType/WIFI Language/zh_CN",
    "locale": "zh-CN",
}


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


class CapturedMail:
    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server(app):
    """A real SMTP receiver on loopback; the app sends its mail there."""
    from aiosmtpd.controller import Controller

    handler = CapturedMail()
    port = servers.free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    yield handler
    controller.stop()


# --- speed -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """Argon2 with its production cost takes ~0.15 s a hash; most tests create several accounts.
    Still argon2id, only cheaper; tests of the stored hash use `production_password_hashing`."""
    from argon2 import PasswordHasher

    from intake.auth import models

    monkeypatch.setattr(models, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def production_password_hashing(monkeypatch):
    from argon2 import PasswordHasher

    from intake.auth import models

    monkeypatch.setattr(models, "_hasher", PasswordHasher())
    monkeypatch.setattr(models, "_dummy_hash", None)


@pytest.fixture
def ref(app):
    """Ids of the seeded reference rows by code: ref.unit["zwfw"], ref.category["taidu"]."""
    from types import SimpleNamespace

    from sqlalchemy import select

    from intake.reference.models import Category, Unit

    with app.app_context():
        return SimpleNamespace(
            unit=dict(db.session.execute(select(Unit.code, Unit.id)).all()),
            category=dict(db.session.execute(select(Category.code, Category.id)).all()),
        )
