"""Transport security: which proxy to believe, and what an HTTPS response must carry.

Behind the reverse proxy production uses, exactly PROXY_HOPS proxies are trusted
(werkzeug's ProxyFix), so the scheme, host and client address are the ones the outermost
trusted proxy saw and a client cannot pick its own address with X-Forwarded-For. Off (0) by
default: without a proxy those headers come from the client and mean nothing.

Over HTTPS every cookie is Secure (session, remember, and any other a view sets) and the
response carries Strict-Transport-Security; over plain HTTP (`make run`) neither, so the
development server still works."""

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


class HttpsResponses:
    """WSGI middleware: on a request that came over HTTPS, mark every Set-Cookie Secure and
    add HSTS. It sits inside ProxyFix, so it sees the scheme the trusted proxy reported."""

    def __init__(self, wsgi_app, hsts_seconds: int):
        self.wsgi_app = wsgi_app
        self.hsts = f"max-age={hsts_seconds}" if hsts_seconds > 0 else None

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def secure_start_response(status, headers, exc_info=None):
            headers = [
                (name, _secure_cookie(value) if name.lower() == "set-cookie" else value) for name, value in headers
            ]
            if self.hsts and not any(n.lower() == "strict-transport-security" for n, _ in headers):
                headers.append(("Strict-Transport-Security", self.hsts))
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, secure_start_response)


def _secure_cookie(header: str) -> str:
    attributes = {part.strip().lower() for part in header.split(";")[1:]}
    return header if "secure" in attributes else header + "; Secure"


def init_app(app: Flask) -> None:
    app.wsgi_app = HttpsResponses(app.wsgi_app, app.config["HSTS_SECONDS"])
    hops = app.config["PROXY_HOPS"]
    if hops < 0:
        raise ValueError("PROXY_HOPS must be 0 (no proxy) or the number of trusted proxies")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
