"""Configuration classes. Every setting comes from the environment with a safe default;
the README lists each one."""

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


class Config:
    # A random key per process would log everyone out on restart; `make run` writes a
    # persistent one to instance/secret_key when SECRET_KEY is not set.
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite:///" + str(INSTANCE_DIR / "intake.sqlite3"))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "intake")
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", str(INSTANCE_DIR / "uploads"))
    MAX_UPLOAD_MB = _env_int("MAX_UPLOAD_MB", 10)
    MAX_UPLOAD_FILES = _env_int("MAX_UPLOAD_FILES", 6)
    # Base URL used in links sent by mail (lookup link in acknowledgements).
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    TRACKING_PREFIX = os.environ.get("TRACKING_PREFIX", "JD")

    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = _env_int("SMTP_PORT", 25)
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = _env_bool("SMTP_STARTTLS", False)
    MAIL_FROM = os.environ.get("MAIL_FROM", "政协民主监督邮箱 <jiandu@localhost>")

    # The supervision mailbox (民主监督邮箱). With IMAP_HOST empty no default mailbox is
    # watched; further mailboxes are rows of the `mailboxes` table (`intake mailbox add`).
    IMAP_HOST = os.environ.get("IMAP_HOST", "")
    IMAP_PORT = _env_int("IMAP_PORT", 993)
    IMAP_SSL = _env_bool("IMAP_SSL", True)
    IMAP_STARTTLS = _env_bool("IMAP_STARTTLS", False)
    IMAP_USER = os.environ.get("IMAP_USER", "")
    IMAP_PASSWORD = os.environ.get("IMAP_PASSWORD", "")
    IMAP_FOLDER = os.environ.get("IMAP_FOLDER", "INBOX")
    # When set, ingested mail is moved there; otherwise it gets the $Ingested keyword.
    IMAP_PROCESSED_FOLDER = os.environ.get("IMAP_PROCESSED_FOLDER", "")
    IMAP_POLL_SECONDS = _env_int("IMAP_POLL_SECONDS", 60)
    IMAP_TIMEOUT_SECONDS = _env_int("IMAP_TIMEOUT_SECONDS", 60)
    # One watcher at a time holds a mailbox: its lease in Redis lasts this long unless renewed
    # (a second watcher takes over this long after the holder died).
    WATCHER_LEASE_SECONDS = _env_int("WATCHER_LEASE_SECONDS", 30)
    # Fetch batches: at most this many messages and about this many bytes per round trip.
    IMAP_BATCH_MESSAGES = _env_int("IMAP_BATCH_MESSAGES", 100)
    IMAP_BATCH_MB = _env_int("IMAP_BATCH_MB", 20)
    MAX_MESSAGE_MB = _env_int("MAX_MESSAGE_MB", 25)
    # When staff replay an over-size message it is fetched anew, whole, up to this size.
    MAX_REPLAY_MESSAGE_MB = _env_int("MAX_REPLAY_MESSAGE_MB", 100)
    # Parse tries before a message goes to quarantine.
    MAIL_MAX_ATTEMPTS = _env_int("MAIL_MAX_ATTEMPTS", 5)
    # A parse job enqueued this long ago whose message is still unprocessed is enqueued again
    # (its worker died); the job is idempotent.
    MAIL_REQUEUE_SECONDS = _env_int("MAIL_REQUEUE_SECONDS", 300)
    # At most one acknowledgement (receipt) per address in this window, whether the report came
    # by mail or by the web form (enforced in Redis).
    ACK_WINDOW_HOURS = _env_int("ACK_WINDOW_HOURS", 24)

    # Public form: at most this many reports per client address in the window (signed-in staff
    # and members are not limited). Not enforced while Redis is down: the form stays open.
    SUBMIT_LIMIT = _env_int("SUBMIT_LIMIT", 10)
    SUBMIT_WINDOW_MINUTES = _env_int("SUBMIT_WINDOW_MINUTES", 10)

    # 个人信息保护法: reporters' contact details (and the client-address HMAC of a web report)
    # are erased this many days after the report is closed; the report itself is kept.
    CONTACT_RETENTION_DAYS = _env_int("CONTACT_RETENTION_DAYS", 730)

    BABEL_DEFAULT_LOCALE = "zh_Hans"
    BABEL_DEFAULT_TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")
    LANGUAGES = ("zh_Hans", "zh_Hant", "en")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host/-Port are believed
    # (0: none, the default; 1: one nginx). Over HTTPS, cookies are Secure and HSTS is sent for
    # HSTS_SECONDS (0: not sent). See intake/core/transport.py.
    PROXY_HOPS = _env_int("PROXY_HOPS", 0)
    HSTS_SECONDS = _env_int("HSTS_SECONDS", 365 * 24 * 3600)
    # "Keep me signed in" lasts at most this many days (Flask-Login's default is a year); staff
    # and admins get no remember cookie (their sessions end when idle).
    REMEMBER_DAYS = _env_int("REMEMBER_DAYS", 14)
    # Wrong passwords within 15 minutes before sign-in is refused: per account (from any
    # address) and per client address (over all accounts). Admins see and clear them at
    # /auth/lockouts.
    LOGIN_ACCOUNT_FAILURES = _env_int("LOGIN_ACCOUNT_FAILURES", 10)
    LOGIN_CLIENT_FAILURES = _env_int("LOGIN_CLIENT_FAILURES", 30)
    # Staff and admins are signed out after this many minutes without a request.
    STAFF_IDLE_MINUTES = _env_int("STAFF_IDLE_MINUTES", 30)
    WTF_CSRF_TIME_LIMIT = None  # a citizen may take long to write; the token lives with the session
    # Registers /_bench/* endpoints used by bench/; never enable in production.
    BENCH_ENDPOINTS = _env_bool("BENCH_ENDPOINTS", False)
    QUEUE_PAGE_SIZE = _env_int("QUEUE_PAGE_SIZE", 25)
    # How long a process keeps the unit and category choice lists (0: read them every time).
    REFERENCE_CACHE_SECONDS = _env_int("REFERENCE_CACHE_SECONDS", 60)
    # Questionnaire answers per client address (an HMAC of it) and window: bursts, not people.
    SURVEY_BURST_LIMIT = _env_int("SURVEY_BURST_LIMIT", 20)
    SURVEY_BURST_SECONDS = _env_int("SURVEY_BURST_SECONDS", 600)

    # Triage suggestions (issue 4). A suggested unit or category is applied to the item without
    # a click when its confidence is at least this (0–1; above 1: never); admins can change it
    # in the UI, which wins over this default.
    SUGGEST_AUTO_APPLY = float(os.environ.get("SUGGEST_AUTO_APPLY", "0.9"))
    # The learned model (`intake classifier train` writes it); without the file, rules only.
    CLASSIFIER_PATH = os.environ.get("CLASSIFIER_PATH", str(INSTANCE_DIR / "triage-classifier.joblib"))
    # Near-duplicates are looked for among reports received this many days before.
    DUPLICATE_WINDOW_DAYS = _env_int("DUPLICATE_WINDOW_DAYS", 90)

    # The rectification ledger (整改台账): default time limits in working days on the official
    # calendar, editable per task; reminders this many working days before a deadline.
    RECTIFICATION_WORKDAYS = _env_int("RECTIFICATION_WORKDAYS", 15)
    FIRST_ANSWER_WORKDAYS = _env_int("FIRST_ANSWER_WORKDAYS", 3)
    REMINDER_WORKDAYS_BEFORE = _env_int("REMINDER_WORKDAYS_BEFORE", 2)
    # JSON with holiday schedules for years the chinese-calendar package does not know yet:
    # {"2027": {"holidays": ["2027-01-01", ...], "workdays": ["2027-02-06", ...]}}.
    WORKDAY_CALENDAR_FILE = os.environ.get("WORKDAY_CALENDAR_FILE", "")

    # The committee's name as printed on top of every document (实施方案, notifications, plaques).
    COMMITTEE_NAME = os.environ.get("COMMITTEE_NAME", "政协XX县委员会")

    # Operations (intake/ops): logs as JSON lines or text, the bearer token of /metrics (unset:
    # /metrics answers 404), and how old a mailbox's last successful poll may be before /readyz
    # says the mailbox is not being read.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
    READY_POLL_MAX_AGE_SECONDS = _env_int("READY_POLL_MAX_AGE_SECONDS", 600)

    @property
    def REMEMBER_COOKIE_DURATION(self) -> timedelta:
        return timedelta(days=self.REMEMBER_DAYS)

    @property
    def MAX_CONTENT_LENGTH(self) -> int:
        # Whole-request ceiling: every file at its limit plus room for the text fields.
        # Per-file limits are checked by the form so the user keeps what they typed.
        return (self.MAX_UPLOAD_MB * self.MAX_UPLOAD_FILES + 2) * 1024 * 1024


class ProductionConfig(Config):
    """The environment's settings and the safe defaults above, with no development fallbacks:
    no generated secret key and no local base URL (intake/ops/startup.py refuses to start
    without them), and logs as JSON lines."""

    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "")
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")


class DevelopmentConfig(Config):
    """`make run`: templates and static files are read anew on each change, so an edit shows
    without a restart. No debugger: `HOST=0.0.0.0 make run` exposes the server to the network,
    and the Werkzeug debugger would run code for anyone who reaches it."""

    DEBUG = False
    TEMPLATES_AUTO_RELOAD = True
    SEND_FILE_MAX_AGE_DEFAULT = 0


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    WTF_CSRF_ENABLED = True
    RQ_QUEUE = "intake-test"
    SMTP_HOST = ""  # tests that send mail point this at their own SMTP receiver
    REFERENCE_CACHE_SECONDS = 0  # tests edit units and categories and expect to see it
    PUBLIC_BASE_URL = "http://testserver"
    CLASSIFIER_PATH = ""  # rules only unless a test trains a model


config_by_name = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "test": TestConfig,
}
