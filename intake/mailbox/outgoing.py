"""Outgoing mail: the one composer of every mail the committee sends (receipts, staff replies,
the ledger's outcome and reminders) and the one place that sends it over SMTP.

Callers say what to send (a kind, a recipient, the item or task code, template context); the
headers, threading, auto-reply marks, language and rendering are decided here, the same way for
every kind."""

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from intake.feedback.access import issue_link
from intake.feedback.models import FeedbackItem
from intake.mailbox.threads import thread_headers

SUBJECT_MAX = 300


@dataclass(frozen=True)
class MailKind:
    """A kind of mail: its one template under templates/mail/, its default subject, and how it
    is marked and threaded."""

    template: str
    subject: object = None  # a lazy string, rendered in the recipient's language
    # RFC 3834: "auto-replied" for an answer to what someone sent, "auto-generated" otherwise;
    # None for mail a person wrote.
    auto_submitted: str | None = None
    # Outlook's equivalent: no out-of-office or read receipts back to us.
    suppress_auto_responses: bool = False
    # Answers in the item's mail thread (In-Reply-To, References).
    threaded: bool = False


RECEIPT = MailKind(
    "mail/acknowledgement.txt",
    _l("We have received your report"),
    auto_submitted="auto-replied",
    suppress_auto_responses=True,
    threaded=True,
)
STAFF_REPLY = MailKind("mail/staff_reply.txt", threaded=True)
CLOSURE_OUTCOME = MailKind(
    "mail/rectification_outcome.txt",
    _l("The problem you reported has been rectified: please rate the outcome"),
    auto_submitted="auto-generated",
)
TASK_REMINDER = MailKind("mail/rectification_reminder.txt", auto_submitted="auto-generated")


def mail_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def new_message_id(idstring: str) -> str:
    """A Message-ID (without <>) in the MAIL_FROM domain, carrying the item's or task's code."""
    _name, address = parseaddr(current_app.config["MAIL_FROM"])
    return make_msgid(idstring=idstring, domain=address.rpartition("@")[2] or "localhost").strip("<>")


def subject_with_code(code: str, subject: str) -> str:
    """The code in brackets first (unless it is there already), so an answer finds its item."""
    subject = " ".join(str(subject).split())
    if code in subject:
        return subject[:SUBJECT_MAX]
    return f"[{code}] {subject}"[:SUBJECT_MAX]


def external_url(endpoint: str, **values) -> str:
    """A link for a mail: absolute, on PUBLIC_BASE_URL, whatever request (if any) is running."""
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
        return url_for(endpoint, _external=True, **values)


def lookup_page_url(item: FeedbackItem) -> str:
    """The lookup page with the code filled in (the reporter types the secret): for text staff
    write and may send more than once, where a one-time link would be spent by the first."""
    return external_url("feedback.lookup", code=item.tracking_code)


class OneTimeLink:
    """The reporter's progress page, as a one-time link (the secret is never in a URL; the
    mail's text gives code and secret for later visits). The link is made when a template
    shows it, so mails that do not show it leave no spare links behind."""

    def __init__(self, item: FeedbackItem):
        self.item = item
        self.url: str | None = None

    def __str__(self) -> str:
        if self.url is None:
            self.url = external_url("feedback.open_link", token=issue_link(self.item))
        return self.url


def compose(
    kind: MailKind,
    *,
    item: FeedbackItem | None = None,
    to: tuple[str | None, str] | None = None,
    code: str | None = None,
    subject=None,
    locale: str | None = None,
    message_id: str | None = None,
    **context,
) -> EmailMessage:
    """One mail of `kind` about `item` (or, without an item, about whatever `code` names: a
    rectification task), rendered from the kind's template with `context` (plus `item` and its
    `lookup_url`).

    Defaults come from the item: `to` (name, address) its reporter, `code` its tracking code,
    `locale` its language (without an item, the default language). `subject` is the kind's
    unless given. `message_id` (without <>) is for mail whose id was stored before sending
    (staff replies); otherwise a new one is made."""
    if item is not None:
        to = to or (item.reporter.name, item.reporter.email)
        code = code or item.tracking_code
        locale = locale or item.locale
        context.update(item=item, lookup_url=OneTimeLink(item))
    subject = kind.subject if subject is None else subject
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = subject_with_code(code, str(subject))
        with current_app.test_request_context(base_url=current_app.config["PUBLIC_BASE_URL"]):
            body = render_template(kind.template, **context)
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = formataddr((to[0] or "", to[1]))
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id or new_message_id(code)}>"
    if kind.threaded and item is not None:
        in_reply_to, references = thread_headers(item)
        if in_reply_to:
            message["In-Reply-To"] = f"<{in_reply_to}>"
            message["References"] = " ".join(f"<{r}>" for r in references)
    if kind.auto_submitted:
        message["Auto-Submitted"] = kind.auto_submitted
    if kind.suppress_auto_responses:
        message["X-Auto-Response-Suppress"] = "All"
    message.set_content(body, charset="utf-8")
    return message


def send(message: EmailMessage) -> None:
    """Hand one mail to the SMTP server. Errors propagate, for the job's retry."""
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=30) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)
