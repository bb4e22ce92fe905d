"""gunicorn for intake in production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`
(deploy/systemd/intake-web.service). Settings from the environment (/etc/intake/intake.env).

- Binds to a unix socket nginx proxies to (GUNICORN_BIND; `127.0.0.1:8000` works too), never
  to a public address: nginx terminates TLS and is the one proxy PROXY_HOPS=1 believes.
- No gunicorn access log: the app writes one line per request itself (intake/ops/logs.py) with
  the route's pattern instead of the path and never the query string, and the request id nginx
  gave it. gunicorn's own lines (start, worker deaths) are JSON too when LOG_FORMAT=json.
- Metrics: prometheus-client's multiprocess mode, its files in a directory emptied at start, so
  /metrics answered by any worker adds up all of them (intake/ops/metrics.py).
- A production start is checked once here, before any worker forks (intake/ops/startup.py):
  a wrong setting stops gunicorn with one line per problem instead of workers dying in a loop."""

import os
import shutil
import tempfile

from gunicorn import glogging

bind = os.environ.get("GUNICORN_BIND", "unix:/run/intake/web.sock")
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
worker_class = "gthread"
# Uploads of 60 MB over a slow phone connection are buffered by nginx first, so a worker only
# ever waits on the database or a PDF being made.
timeout = 60
graceful_timeout = 30
keepalive = 5
# Replace workers now and then: a slow leak in a library never grows without bound. A wide
# jitter keeps the workers from restarting together (with ±200 both restarted within 1.4 s of
# each other under bench/public_load.py, and every page waited ~4 s for them).
max_requests = 4000
max_requests_jitter = 2000
# Scheme, host and client address come from nginx through the app's ProxyFix (PROXY_HOPS), the
# single place that decides whom to believe; gunicorn itself trusts no forwarded header.
forwarded_allow_ips = "127.0.0.1"
secure_scheme_headers = {}
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

_LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("json" if os.environ.get("INTAKE_CONFIG") == "production" else "text")
_METRICS_DIR = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    os.path.join(os.environ.get("RUNTIME_DIRECTORY") or tempfile.gettempdir(), "intake-metrics"),
)


class Logger(glogging.Logger):
    """gunicorn's error log (its own lines) as JSON lines when LOG_FORMAT=json."""

    def setup(self, cfg):
        super().setup(cfg)
        if _LOG_FORMAT == "json":
            from intake.ops.logs import JsonFormatter

            for handler in self.error_log.handlers:
                handler.setFormatter(JsonFormatter())


logger_class = Logger


def on_starting(server):
    shutil.rmtree(_METRICS_DIR, ignore_errors=True)
    os.makedirs(_METRICS_DIR, mode=0o700)
    if os.environ.get("INTAKE_CONFIG") == "production":
        from config import ProductionConfig
        from intake.ops.startup import check_or_exit

        settings = ProductionConfig()
        check_or_exit({name: getattr(settings, name) for name in dir(settings) if name.isupper()})


def post_worker_init(worker):
    """Before a worker takes its first request (at start and after each max_requests restart,
    while the other workers serve): every template compiled (intake/ops/startup.py)."""
    from intake.ops.startup import compile_templates

    app = worker.wsgi
    if hasattr(app, "jinja_env"):
        try:
            compile_templates(app)
        except Exception:  # a broken template fails its own page, never the worker's boot
            worker.log.exception("templates not compiled ahead")


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
