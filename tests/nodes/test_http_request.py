"""The http_request node against real local servers, through the guarded HTTP resource.

Contract: GET/POST (JSON and form) return status, lower-cased headers without set-cookie,
the parsed body and the final URL; loopback targets are refused (error_type
"blocked_target", nothing reaches the server) unless the tenant allow-lists them; every
redirect hop is checked (metadata/private targets refused, too many hops refused); numeric
spellings of loopback are refused; bodies over max_response_bytes fail; timeouts, 429 and
5xx are transient errors.
"""

from __future__ import annotations

import json
import logging
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import pytest

from automation.nodes.base import NodeError

from .conftest import make_ctx, run_node


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, content_type: str, **extra: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, payload: object, **extra: str) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", **extra)

    def _route(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.hits.append({"path": url.path, "method": self.command})
        if url.path == "/json":
            self._json(200, {"hello": "world", "query": query}, Set_Cookie="s=1", X_Custom="yes")
        elif url.path == "/echo":
            self._json(200, {
                "method": self.command,
                "content_type": self.headers.get("Content-Type"),
                "body": body.decode(),
                "authorization": self.headers.get("Authorization"),
            })
        elif url.path == "/text":
            self._send(200, "héllo".encode("latin-1"), "text/plain; charset=latin-1")
        elif url.path == "/redirect":
            self._send(int(query.get("status", 302)), b"", "text/plain", Location=query["to"])
        elif url.path == "/loop":
            self._send(302, b"", "text/plain", Location="/loop")
        elif url.path == "/big":
            self._send(200, b"x" * int(query["n"]), "application/octet-stream")
        elif url.path == "/stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for _ in range(int(query["chunks"])):
                self.wfile.write(b"400\r\n" + b"y" * 1024 + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif url.path == "/slow":
            time.sleep(float(query.get("s", 2)))
            self._json(200, {"late": True})
        elif url.path.startswith("/status/"):
            self._json(int(url.path.rsplit("/", 1)[1]), {"error": "nope"})
        else:
            self._json(404, {"error": "not found"})

    do_GET = do_POST = do_PUT = do_HEAD = _route


@pytest.fixture
def server(serve):
    return serve(Handler)


@pytest.fixture
def allowed_tenant(tenant):
    tenant.http_allowed_hosts = ["127.0.0.1"]
    tenant.save()
    return tenant


def http(tenant, **config):
    return run_node(make_ctx(tenant, "http_request"), config)


def http_error(tenant, **config) -> NodeError:
    with pytest.raises(NodeError) as failed:
        http(tenant, **config)
    return failed.value


def test_get_json_with_query(allowed_tenant, server) -> None:
    result = http(allowed_tenant, url=server.url("/json"), query={"a": "1"})
    out = result.output
    assert out["status_code"] == 200
    assert out["body"] == {"hello": "world", "query": {"a": "1"}}
    assert out["headers"]["x-custom"] == "yes"
    assert "set-cookie" not in out["headers"]
    assert out["url"] == server.url("/json?a=1")
    json.dumps(out)  # JSON-able


def test_post_json_and_form(allowed_tenant, server) -> None:
    posted = http(
        allowed_tenant, method="POST", url=server.url("/echo"), body_type="json",
        json_body={"n": 1, "tags": ["a"]}, headers={"Authorization": "Bearer t0k"},
    ).output["body"]
    assert posted["content_type"] == "application/json"
    assert json.loads(posted["body"]) == {"n": 1, "tags": ["a"]}
    assert posted["authorization"] == "Bearer t0k"

    form = http(
        allowed_tenant, method="POST", url=server.url("/echo"), body_type="form",
        form_body={"name": "Ada Lovelace", "x": "1&2"},
    ).output["body"]
    assert form["content_type"] == "application/x-www-form-urlencoded"
    assert parse_qs(form["body"]) == {"name": ["Ada Lovelace"], "x": ["1&2"]}


def test_text_body_and_head(allowed_tenant, server) -> None:
    assert http(allowed_tenant, url=server.url("/text")).output["body"] == "héllo"
    head = http(allowed_tenant, method="HEAD", url=server.url("/json")).output
    assert head["status_code"] == 200 and head["body"] is None


def test_loopback_refused_without_allow_list(tenant, server) -> None:
    for url in (server.url("/json"), server.url("/json", host="localhost")):
        error = http_error(tenant, url=url)
        assert error.error_type == "blocked_target"
        assert "loopback" in str(error) and "allow-list" in str(error)
        assert not error.transient
    assert server.hits == []


def test_allow_list_by_host_name(tenant, server) -> None:
    tenant.http_allowed_hosts = ["localhost"]
    tenant.save()
    assert http(tenant, url=server.url("/json", host="localhost")).output["status_code"] == 200
    assert http_error(tenant, url=server.url("/json")).error_type == "blocked_target"


@pytest.mark.parametrize(
    "host", ["2130706433", "0177.0.0.1", "0x7f.0.0.1", "[::ffff:127.0.0.1]", "127.1"]
)
def test_numeric_spellings_refused(tenant, server, host) -> None:
    error = http_error(tenant, url=server.url("/json", host=host))
    assert error.error_type == "blocked_target"
    assert server.hits == []


def test_numeric_spelling_of_allowed_address_passes(allowed_tenant, server) -> None:
    result = http(allowed_tenant, url=server.url("/json", host="0177.0.0.1"))
    assert result.output["status_code"] == 200


@pytest.mark.parametrize(
    ("target", "address_class"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://10.0.0.7/admin", "private"),
        ("http://[::ffff:10.0.0.7]/", "private"),
        ("http://2852039166/", "cloud metadata"),  # 169.254.169.254 as a decimal
    ],
)
def test_redirect_to_non_public_target_refused(allowed_tenant, server, target, address_class):
    error = http_error(allowed_tenant, url=server.url(f"/redirect?to={target}"))
    assert error.error_type == "blocked_target"
    assert address_class in str(error)


def test_redirects_followed_and_limited(allowed_tenant, server) -> None:
    out = http(allowed_tenant, url=server.url("/redirect?to=/json")).output
    assert out["status_code"] == 200 and out["url"] == server.url("/json")
    see_other = http(
        allowed_tenant, method="POST", url=server.url("/redirect?status=303&to=/echo"),
        body_type="json", json_body={"a": 1},
    ).output["body"]
    assert see_other["method"] == "GET" and see_other["body"] == ""
    assert http_error(allowed_tenant, url=server.url("/loop")).error_type == "too_many_redirects"


def test_redirect_to_other_origin_drops_authorization(allowed_tenant, server, serve) -> None:
    other = serve(Handler)
    out = http(
        allowed_tenant, url=server.url(f"/redirect?to={other.url('/echo')}"),
        headers={"Authorization": "Bearer secret"},
    ).output
    assert out["body"]["authorization"] is None


def test_response_size_cap(allowed_tenant, server) -> None:
    assert len(http(allowed_tenant, url=server.url("/big?n=1000"), max_response_bytes=1000)
               .output["body"]) == 1000
    for path in ("/big?n=5000", "/stream?chunks=8"):
        error = http_error(allowed_tenant, url=server.url(path), max_response_bytes=4000)
        assert error.error_type == "response_too_large"


def test_timeout_is_transient(allowed_tenant, server) -> None:
    started = time.monotonic()
    error = http_error(allowed_tenant, url=server.url("/slow?s=3"), timeout_s=0.3)
    assert time.monotonic() - started < 2
    assert error.error_type == "timeout" and error.transient


@pytest.mark.parametrize(("status", "transient"), [(404, False), (429, True), (503, True)])
def test_error_status(allowed_tenant, server, status, transient) -> None:
    error = http_error(allowed_tenant, url=server.url(f"/status/{status}"))
    assert error.error_type == "http_status" and error.transient is transient
    assert str(status) in str(error)
    ok = http(allowed_tenant, url=server.url(f"/status/{status}"), fail_on_error_status=False)
    assert ok.output["status_code"] == status and ok.output["body"] == {"error": "nope"}


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/", "http:///nohost"])
def test_invalid_urls(tenant, url) -> None:
    assert http_error(tenant, url=url).error_type == "invalid_url"


def test_logs_carry_no_secrets(allowed_tenant, server, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    http(
        allowed_tenant, url=server.url("/json?api_key=s3cret-q"), query={"token": "s3cret-p"},
        headers={"Authorization": "Bearer s3cret-h"},
    )
    assert "/json" in caplog.text
    assert "s3cret" not in caplog.text
