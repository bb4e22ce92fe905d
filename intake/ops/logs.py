"""Logs: one JSON object per line in production (LOG_FORMAT=json), plain text in development,
every line of a request carrying its request id. The request id comes from the proxy's
X-Request-ID (nginx's $request_id) or is made here, and is echoed in the response.

What never goes into a log line: the query string, the path itself (a one-time link carries
its token in the path: the route's pattern is logged instead, `/jiandu/link/<token>`), client
addresses, and form data."""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is taken as it is only when it looks like one; anything else is replaced.
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
TEXT_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"
# Fields a record may carry (logging's `extra`) that a JSON line shows.
EXTRA_FIELDS = ("method", "route", "status", "duration_ms", "job", "queue", "outcome")

access_log = logging.getLogger("intake.access")

# A safety net under the rule that log calls name rows by id: an address or a mobile number
# that reaches a message anyway (an exception's text quoting a mail header) is blanked.
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MOBILE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def scrub(text: str) -> str:
    return MOBILE_RE.sub("<phone>", EMAIL_RE.sub("<email>", text))


def current_request_id() -> str | None:
    if has_request_context():
        return g.get("request_id")
    return None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": scrub(record.getMessage()),
        }
        request_id = getattr(record, "request_id", None) or current_request_id()
        if request_id:
            entry["request_id"] = request_id
        for name in EXTRA_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def formatter(log_format: str) -> logging.Formatter:
    if log_format not in ("json", "text"):
        raise ValueError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    return JsonFormatter() if log_format == "json" else TextFormatter(TEXT_FORMAT)


def configure(log_format: str, level: str = "INFO") -> None:
    """One handler on the root logger, to stderr (journald keeps it). Called again (a second
    app in one process) it replaces its own handler and leaves others (pytest's) alone."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "intake", False)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.intake = True
    handler.setFormatter(formatter(log_format))
    root.addHandler(handler)
    root.setLevel(level.upper())
    # Libraries that narrate their work at INFO (WeasyPrint logs seven steps per PDF; fontTools
    # each font it subsets) say only what goes wrong.
    for noisy in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _begin_request() -> None:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = offered if REQUEST_ID_RE.match(offered) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def route_of_request() -> str:
    """The matched rule's pattern (never the path, which may hold a token), or a fixed word."""
    return request.url_rule.rule if request.url_rule is not None else "<unmatched>"


def _end_request(response):
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    if started is not None:
        duration = time.perf_counter() - started
        access_log.info(
            "%s %s %s %.1fms",
            request.method,
            route_of_request(),
            response.status_code,
            duration * 1000,
            extra={
                "request_id": request_id,
                "method": request.method,
                "route": route_of_request(),
                "status": response.status_code,
                "duration_ms": round(duration * 1000, 1),
            },
        )
    return response


def init_app(app: Flask) -> None:
    formatter(app.config["LOG_FORMAT"])  # a wrong LOG_FORMAT stops the start, not the first line
    if not app.testing:
        configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    app.before_request(_begin_request)
    app.after_request(_end_request)
