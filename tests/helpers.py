"""Small helpers shared by the route tests: reading back what a form shows."""
from html.parser import HTMLParser

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
                    value = value[len(newline):]
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


def post_form(client, url: str, data: dict, get_url: str | None = None, **kwargs):
    """GET the page for its CSRF token, then POST `data` with it."""
    token = csrf_token_from(client.get(get_url or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)
