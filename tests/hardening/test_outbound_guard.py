"""Outbound HTTP guard, end to end through the http_request and webhook_out nodes.

Contract (adds to tests/nodes/test_net_guard.py and test_http_request.py): with real local
servers on 127.0.0.1 and ::1, the nodes refuse (error_type "blocked_target", the server never
hit) IPv6 loopback, the unspecified address, alternative spellings (trailing dot, upper case,
zero-padded, fullwidth digits, long IPv6 forms), URL-parser confusion (userinfo, fragments,
backslashes), DNS names whose answers are loopback, private, link-local/metadata or IPv4-mapped
(answers come from a stub resolver, the only resolver a test can control without editing
/etc/hosts; `localhost` goes through the real one), a name answering one public and one private
address, and redirects from an allowed host to any of those; the allow-list lets exactly the
named host, address or range through, and the connection goes to the address that was checked;
responses are capped in size also when compressed (a gzip bomb) and in total time also when
the body trickles in; webhook_out follows no redirect.
"""

from __future__ import annotations

import gzip
import ipaddress
import socket
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from automation.nodes.base import NodeError
from crm.tenants.services import secret_set
from tests.nodes.conftest import LocalServer, make_ctx, run_node, serve  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)  # secrets are read in a worker thread

BOMB = gzip.compress(b"\0" * (20 * 1024 * 1024))  # 20 MiB of zeros in ~20 KiB


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for key, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(key.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _route(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.hits.append({"path": url.path, "host": self.headers.get("Host")})
        if url.path == "/redirect":
            self._send(int(query.get("status", 302)), Location=query["to"])
        elif url.path == "/bomb":
            self._send(200, BOMB, Content_Encoding="gzip", Content_Type="text/plain")
        elif url.path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.05)
        elif url.path == "/endless":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"z" * 65536
            for _ in range(1000):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
        else:
            self._send(200, b'{"ok": true}', Content_Type="application/json")

    do_GET = do_POST = _route


class _V6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True


@pytest.fixture
def server(serve):  # noqa: F811 - the fixture imported above
    return serve(Handler)


@pytest.fixture
def server_v6():
    try:
        httpd = _V6Server(("::1", 0), Handler)
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    httpd.hits = []
    import threading

    threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


# A stub resolver: name -> addresses it answers (other names go to the real resolver).
ANSWERS = {
    "loopback.attacker.test": ["127.0.0.1"],
    "private.attacker.test": ["10.0.0.7"],
    "metadata.attacker.test": ["169.254.169.254"],
    "mapped.attacker.test": ["::ffff:127.0.0.1"],
    "v6.attacker.test": ["::1"],
    "rebind.attacker.test": ["93.184.216.34", "127.0.0.1"],
    "cgnat.attacker.test": ["100.64.1.1"],
    "partner.example.test": ["127.0.0.1"],  # allow-listed by name in some tests
    "api.svc.test": ["127.0.0.1"],
}


@pytest.fixture(autouse=True)
def stub_dns(monkeypatch):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name.lower().rstrip(".") not in ANSWERS:
            return real(host, port, *args, **kwargs)
        answers = []
        for address in ANSWERS[name.lower().rstrip(".")]:
            if ipaddress.ip_address(address).version == 6:
                answers.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                answers.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return answers

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def allow(tenant, *entries: str):
    tenant.http_allowed_hosts = list(entries)
    tenant.save()
    return tenant


def http(tenant, **config):
    return run_node(make_ctx(tenant, "http_request"), config)


def refused(tenant, **config) -> NodeError:
    with pytest.raises(NodeError) as failed:
        http(tenant, **config)
    return failed.value


def url(server, path: str = "/", host: str = "127.0.0.1") -> str:
    port = server.port if isinstance(server, LocalServer) else server.server_address[1]
    return f"http://{host}:{port}{path}"


@pytest.mark.parametrize(
    "host",
    [
        "localhost.", "LOCALHOST", "LocalHost.", "127.000.000.001", "0x7f.1", "017700000001",
        "0.0.0.0", "0", "[::ffff:7f00:1]", "[0:0:0:0:0:ffff:127.0.0.1]", "１２７.0.0.1",
        "127.0.0.1.",
    ],
)  # fmt: skip
def test_loopback_spellings_are_refused(tenant, server, host) -> None:
    error = refused(tenant, url=url(server, "/", host))
    assert error.error_type in ("blocked_target", "invalid_url"), error
    assert server.hits == []


@pytest.mark.parametrize(
    "template",
    [
        "http://example.com@{host}:{port}/",
        "http://{host}:{port}#@example.com/",
        "http://{host}:{port}?@example.com/",
        "http://{host}:{port}\\@example.com/",
        "http://user:pass@{host}:{port}/",
        "HTTP://{host}:{port}/",
        " http://{host}:{port}/",
    ],
)
def test_url_parser_confusion_cannot_reach_loopback(tenant, server, template) -> None:
    # Whichever host a parser sees (urlsplit and httpx differ on the backslash), the address is
    # checked where the connection is made: never loopback.
    error = refused(tenant, url=template.format(host="127.0.0.1", port=server.port))
    assert error.error_type in ("blocked_target", "invalid_url", "dns_error"), error
    assert server.hits == []


def test_ipv6_loopback_is_refused_then_allowed(tenant, server_v6) -> None:
    for host in ("[::1]", "[0:0:0:0:0:0:0:1]", "[::1%25lo]"):
        error = refused(tenant, url=url(server_v6, "/", host))
        assert error.error_type in ("blocked_target", "invalid_url"), error
    assert refused(tenant, url=url(server_v6, "/", "v6.attacker.test")).error_type == (
        "blocked_target"
    )
    assert server_v6.hits == []
    allow(tenant, "::1")
    assert http(tenant, url=url(server_v6, "/", "[::1]")).output["status_code"] == 200
    assert len(server_v6.hits) == 1


@pytest.mark.parametrize(
    ("name", "address_class"),
    [
        ("loopback.attacker.test", "loopback"),
        ("private.attacker.test", "private"),
        ("metadata.attacker.test", "cloud metadata"),
        ("mapped.attacker.test", "IPv4 in IPv6"),
        ("v6.attacker.test", "loopback"),
        ("rebind.attacker.test", "loopback"),
        ("cgnat.attacker.test", "CGNAT"),
        ("localhost", "loopback"),  # the machine's real resolver
    ],
)
def test_names_resolving_to_non_public_addresses_are_refused(
    tenant, server, name, address_class
) -> None:
    error = refused(tenant, url=url(server, "/", name))
    assert error.error_type == "blocked_target"
    assert address_class in str(error) and name in str(error)
    assert server.hits == []


def test_allow_list_by_name_reaches_the_checked_address(tenant, server) -> None:
    allow(tenant, "partner.example.test")
    out = http(tenant, url=url(server, "/", "partner.example.test")).output
    assert out["status_code"] == 200
    assert server.hits == [{"path": "/", "host": f"partner.example.test:{server.port}"}]
    # the name is allowed, not the address behind it, nor other names for that address
    assert refused(tenant, url=url(server)).error_type == "blocked_target"
    assert refused(tenant, url=url(server, "/", "loopback.attacker.test")).error_type == (
        "blocked_target"
    )
    assert len(server.hits) == 1


@pytest.mark.parametrize(
    ("entries", "host", "passes"),
    [
        (["*.svc.test"], "api.svc.test", True),
        (["*.svc.test"], "loopback.attacker.test", False),
        (["127.0.0.0/8"], "loopback.attacker.test", True),
        (["127.0.0.0/8"], "private.attacker.test", False),
        (["10.0.0.0/8"], "127.0.0.1", False),
        (["partner.example.test"], "partner.example.test.", True),
        (["PARTNER.example.test"], "partner.example.test", True),
        (["svc.test"], "api.svc.test", False),
    ],
)
def test_allow_list_entries(tenant, server, entries, host, passes) -> None:
    allow(tenant, *entries)
    if passes:
        assert http(tenant, url=url(server, "/", host)).output["status_code"] == 200
    else:
        error = refused(tenant, url=url(server, "/", host))
        assert error.error_type in ("blocked_target", "connection_error", "timeout")
        assert server.hits == []


@pytest.mark.parametrize(
    "target",
    [
        "http://localhost:{port}/",
        "http://127.0.0.1:{port}/",
        "http://0x7f.1:{port}/",
        "http://0.0.0.0:{port}/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://loopback.attacker.test:{port}/",
        "http://metadata.attacker.test/latest/meta-data/",
        "http://rebind.attacker.test:{port}/",
        "http://[fe80::1]/",
        "http://192.168.1.1/",
    ],
)
@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirects_from_an_allowed_host_to_non_public_targets_are_refused(
    tenant, server, target, status
) -> None:
    allow(tenant, "partner.example.test")
    start = url(
        server,
        f"/redirect?status={status}&to={target.format(port=server.port)}",
        "partner.example.test",
    )
    error = refused(tenant, url=start, method="GET")
    assert error.error_type in ("blocked_target", "invalid_url"), error
    assert [hit["path"] for hit in server.hits] == ["/redirect"]


def test_gzip_bomb_is_capped(tenant, server) -> None:
    allow(tenant, "127.0.0.1")
    started = time.monotonic()
    error = refused(tenant, url=url(server, "/bomb"), max_response_bytes=100_000)
    assert error.error_type == "response_too_large"
    assert time.monotonic() - started < 5


def test_trickling_body_hits_the_total_time_cap(tenant, server) -> None:
    allow(tenant, "127.0.0.1")
    started = time.monotonic()
    error = refused(tenant, url=url(server, "/trickle"), timeout_s=1.0)
    assert error.error_type == "timeout" and error.transient
    assert time.monotonic() - started < 3


def test_endless_body_is_capped(tenant, server) -> None:
    allow(tenant, "127.0.0.1")
    error = refused(tenant, url=url(server, "/endless"), max_response_bytes=1_000_000)
    assert error.error_type == "response_too_large"


@pytest.fixture
def signing(tenant):
    secret_set(tenant=tenant, name="hook", value="whsec_" + "QUJD" * 8)
    return "hook"


def send_webhook(tenant, target: str, secret_name: str, **config):
    config = {"url": target, "secret_name": secret_name, "payload": {"a": 1}, **config}
    return run_node(make_ctx(tenant, "webhook_out"), config)


def test_webhook_out_is_guarded_and_follows_no_redirect(tenant, server, signing) -> None:
    for name in ("metadata.attacker.test", "loopback.attacker.test", "localhost"):
        with pytest.raises(NodeError) as failed:
            send_webhook(tenant, url(server, "/", name), signing)
        assert failed.value.error_type == "blocked_target"
    assert server.hits == []
    allow(tenant, "partner.example.test")
    target = url(
        server, "/redirect?status=307&to=http://metadata.attacker.test/", "partner.example.test"
    )
    with pytest.raises(NodeError) as failed:
        send_webhook(tenant, target, signing)
    assert failed.value.error_type == "http_status" and "307" in str(failed.value)
    assert [hit["path"] for hit in server.hits] == ["/redirect"]


def test_webhook_out_reads_at_most_its_response_cap(tenant, server, signing) -> None:
    allow(tenant, "127.0.0.1")
    started = time.monotonic()
    assert send_webhook(tenant, url(server, "/endless"), signing).output["status_code"] == 200
    with pytest.raises(NodeError) as failed:
        send_webhook(tenant, url(server, "/trickle"), signing, timeout_s=1.0)
    assert failed.value.error_type == "timeout"
    assert time.monotonic() - started < 6
