"""Small helpers shared by the tests: reading back what a form shows and what mail was sent."""

import difflib
import email
import email.policy
import re
from html.parser import HTMLParser
from pathlib import Path

from tests.conftest import csrf_token_from


class _FormValues(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.values: dict[str, object] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.values[name] = a.get("value", "y")
            elif kind != "file":
                self.values[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value")

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            # Like a browser: one newline right after <textarea> is not part of the value.
            value = self.values[self._textarea]
            for newline in ("\r\n", "\n"):
                if value.startswith(newline):
                    value = value[len(newline) :]
                    break
            self.values[self._textarea] = value
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data


def form_values(html: str) -> dict:
    """What the browser would show in each field of the page's forms."""
    parser = _FormValues()
    parser.feed(html)
    return parser.values


def open_progress(client, code: str, secret: str):
    """The reporter's way to the progress page: post code and secret to the lookup form, then
    follow to the page (the session now may see it). Returns the progress page's response."""
    response = post_form(client, "/jiandu/track", {"code": code, "secret": secret})
    if response.status_code != 303:
        return response
    return client.get(response.headers["Location"])


def post_form(client, url: str, data: dict, get_url: str | None = None, **kwargs):
    """GET the page for its CSRF token, then POST `data` with it."""
    token = csrf_token_from(client.get(get_url or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


# --- mail the app sent ---------------------------------------------------------------------

SENT_MAIL_DIR = Path(__file__).parent / "data" / "mail" / "sent"
# make_msgid's time, process and random parts; the idstring and the domain stay.
_MSGID_STAMP = re.compile(r"<\d+\.\d+\.\d+\.")
# A one-time link's random token.
_LINK_TOKEN = re.compile(r"/jiandu/link/[A-Za-z0-9_-]+")


def sent_mail_text(envelope, replace: dict[str, str] | None = None) -> str:
    """A mail the SMTP receiver took, as a reader checks it: the envelope, every header in the
    order sent (decoded), the body part's text. What changes every run (tracking codes,
    secrets, Message-ID stamps) is replaced by a name in braces."""
    message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    lines = [f"Envelope-From: {envelope.mail_from}", f"Envelope-To: {', '.join(envelope.rcpt_tos)}"]
    lines += [f"{name}: {str(value).strip()}" for name, value in message.items()]
    text = "\n".join(lines) + "\n\n" + message.get_content().replace("\r\n", "\n")
    text = _MSGID_STAMP.sub("<{stamp}.", text)
    text = _LINK_TOKEN.sub("/jiandu/link/{token}", text)
    for value, name in (replace or {}).items():
        text = text.replace(value, "{" + name + "}")
    return text


def assert_sent_mail(envelope, case: str, replace: dict[str, str] | None = None) -> None:
    """Compare with tests/data/mail/sent/<case>.txt; a missing file is written (check it, commit)."""
    path = SENT_MAIL_DIR / f"{case}.txt"
    text = sent_mail_text(envelope, replace)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        raise AssertionError(f"{path} was missing and is written now: check it and commit it")
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        diff = difflib.unified_diff(expected.splitlines(), text.splitlines(), str(path), "sent", lineterm="")
        raise AssertionError("\n".join(diff))
