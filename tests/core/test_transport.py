"""Behind the configured number of proxies the app sees the client's scheme and address, a
client cannot choose its own address, and every HTTPS response has Secure cookies and HSTS."""

import pytest
from flask import make_response, request

from intake import create_app


def _echo_app(**config):
    app = create_app("test", SQLALCHEMY_DATABASE_URI="sqlite://", **config)

    @app.get("/_echo")
    def echo():
        response = make_response(f"{request.scheme} {request.remote_addr} {request.host}")
        response.set_cookie("plain", "1", httponly=True)
        return response

    return app


def test_without_a_configured_proxy_forwarded_headers_are_ignored():
    client = _echo_app(PROXY_HOPS=0).test_client()
    response = client.get(
        "/_echo",
        headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert response.get_data(as_text=True) == "http 198.51.100.7 localhost"
    assert "Strict-Transport-Security" not in response.headers
    assert "Secure" not in response.headers["Set-Cookie"]


def test_one_trusted_proxy_gives_the_address_it_saw_not_the_one_the_client_wrote():
    client = _echo_app(PROXY_HOPS=1).test_client()
    response = client.get(
        "/_echo",
        # The client sent "X-Forwarded-For: 10.0.0.1"; nginx appended the address it saw.
        headers={
            "X-Forwarded-For": "10.0.0.1, 203.0.113.9",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "zx.example.gov.cn",
        },
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.get_data(as_text=True) == "https 203.0.113.9 zx.example.gov.cn"
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert response.headers["Set-Cookie"].endswith("; Secure")


def test_hsts_can_be_switched_off_and_negative_hops_are_refused():
    client = _echo_app(HSTS_SECONDS=0).test_client()
    response = client.get("/_echo", base_url="https://localhost")
    assert "Strict-Transport-Security" not in response.headers
    assert "Secure" in response.headers["Set-Cookie"]
    with pytest.raises(ValueError, match="PROXY_HOPS"):
        _echo_app(PROXY_HOPS=-1)
