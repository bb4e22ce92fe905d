"""What a production process checks before it starts: the settings several machines must share
and the ones nothing can guess, and a database that answers. Each problem is one line naming
the setting; a process with any of them refuses to start (intake/__init__.py)."""

import sys
from email.utils import parseaddr
from urllib.parse import urlsplit

import sqlalchemy

# A generated key would differ per machine, so sessions signed by one web machine would be
# refused by the next; a short one is guessable.
MIN_SECRET_KEY_LENGTH = 32
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def settings_problems(config) -> list[str]:
    """The settings a production run cannot do without, each problem as one line."""
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if not secret:
        problems.append(
            "SECRET_KEY is not set: every web machine must sign sessions with the same key "
            "(python3 -c 'import secrets; print(secrets.token_hex(32))')"
        )
    elif len(secret) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters")
    base = urlsplit(config.get("PUBLIC_BASE_URL") or "")
    if not config.get("PUBLIC_BASE_URL"):
        problems.append(
            "PUBLIC_BASE_URL is not set: mails and QR codes link to it (e.g. https://jiandu.example.gov.cn)"
        )
    elif base.scheme not in ("http", "https") or not base.hostname:
        problems.append("PUBLIC_BASE_URL is not an http(s) URL with a host name")
    if not config.get("SMTP_HOST"):
        problems.append("SMTP_HOST is not set: receipts, replies and reminders would not be sent")
    if config.get("SMTP_USER") and not config.get("SMTP_PASSWORD"):
        problems.append("SMTP_PASSWORD is not set but SMTP_USER is")
    if config.get("LOG_FORMAT") not in ("json", "text"):
        problems.append(f"LOG_FORMAT must be json or text, not {config.get('LOG_FORMAT')!r}")
    sender = parseaddr(config.get("MAIL_FROM") or "")[1]
    if "@" not in sender or sender.rpartition("@")[2] in LOCAL_HOSTS:
        problems.append(
            "MAIL_FROM is not an address of the committee's mail domain (e.g. 政协民主监督邮箱 <jiandu@example.gov.cn>)"
        )
    return problems


def database_problem(url: str, timeout: int = 5) -> str | None:
    """None when the database answers; otherwise one line saying why, without the password."""
    shown = sqlalchemy.engine.make_url(url).render_as_string(hide_password=True)
    connect_args = {"connect_timeout": timeout} if url.startswith("postgresql") else {}
    engine = sqlalchemy.create_engine(url, connect_args=connect_args)
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure to connect is the answer
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return f"DATABASE_URL: the database at {shown} does not answer ({reason})"
    finally:
        engine.dispose()
    return None


# Exit statuses (sysexits.h): a setting is wrong, only an edit helps, and the systemd units do not
# restart on it (RestartPreventExitStatus); the database does not answer yet, a restart may help.
EX_CONFIG = 78
EX_UNAVAILABLE = 69


def check_or_exit(config) -> None:
    """Start only with the settings production needs and a database that answers: otherwise one
    line per problem on stderr, and exit."""
    problems = settings_problems(config)
    database = database_problem(config["SQLALCHEMY_DATABASE_URI"])
    for problem in problems + ([database] if database else []):
        print(f"intake: configuration: {problem}", file=sys.stderr, flush=True)
    if problems:
        raise SystemExit(EX_CONFIG)
    if database:
        raise SystemExit(EX_UNAVAILABLE)


def compile_templates(app) -> int:
    """Compile every page template now, so the first request of each web worker does not (a
    worker compiles its templates lazily otherwise: the first 50 ballots after a restart each
    waited for the receipt page's compilation). Returns how many."""
    names = app.jinja_env.list_templates(filter_func=lambda name: name.endswith((".html", ".txt")))
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)
