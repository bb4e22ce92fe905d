"""Outgoing mail over SMTP: receipts to reporters (and, later, replies from staff)."""
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from intake.feedback.models import FeedbackItem


def mail_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def _msgid_domain() -> str:
    _name, address = parseaddr(current_app.config["MAIL_FROM"])
    return address.rpartition("@")[2] or "localhost"


def lookup_url(item: FeedbackItem) -> str:
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        return url_for("feedback.status", code=item.tracking_code, s=item.lookup_secret, _external=True)


def acknowledgement_for(item: FeedbackItem) -> EmailMessage:
    """The receipt (回执): tracking code and lookup link, marked as an automatic reply."""
    reporter = item.reporter
    with force_locale(item.locale):
        subject = _("[%(code)s] We have received your report", code=item.tracking_code)
        with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
            body = render_template("mail/acknowledgement.txt", item=item, lookup_url=lookup_url(item))
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = formataddr((reporter.name or "", reporter.email))
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(idstring=item.tracking_code, domain=_msgid_domain())
    # RFC 3834: tells other robots not to answer this one.
    message["Auto-Submitted"] = "auto-replied"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(body, charset="utf-8")
    return message


def send_message(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)
