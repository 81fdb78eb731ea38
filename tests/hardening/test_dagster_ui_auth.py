"""The Dagster UI is reachable only through the CRM's authentication, by platform operators.

Contract: a REAL `dagster-webserver` (a subprocess on a free loopback port, started with
`--path-prefix /ops/dagster` against a throwaway instance and a one-job workspace) serves the
Dagster UI at /ops/dagster/ through the CRM (crm.ops, the Django test client): an anonymous
browser is sent to the login page and anonymous GraphQL gets 401; signed-in users who are not
platform operators get 403 — a tenant's admin (even one who is staff for the tenant-scoped
admin), a tenant's `operator` role, a staff user without `ops.access_dagster_ui`; a platform
operator (staff with that permission, given through a group) and a superuser get the UI page,
its JavaScript and GraphQL answers (`{ version }`, the workspace's job) from the webserver.
Requests another site could forge (cross-site or foreign-origin POSTs, non-JSON GraphQL
POSTs, GraphQL over GET) are refused; WebSocket handshakes get 501 (the UI then polls).
Against a recording stand-in webserver: the CRM's session and CSRF cookies, `Authorization`,
`X-CSRFToken` and `X-Tenant` are never forwarded, other cookies, the body and the query are;
the webserver's `Set-Cookie` is dropped and its `Location` made relative; a refused request
never reaches it. nginx's `auth_request` endpoint answers 204/401/403 by the same rules, and
a real nginx running deploy/production/nginx.conf (skipped when nginx is not installed) in
front of a live CRM and the real webserver sends anonymous users to the login page, refuses a
tenant admin, serves the UI and GraphQL to an operator, and lets an operator's WebSocket
(graphql-ws: connection_ack) through while refusing anonymous and foreign-origin handshakes.
And bin/dev's and bin/e2e-server's Dagster commands bind 127.0.0.1, and no doc or deploy file
binds a Dagster command to every interface.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dagster
import httpx
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client

from crm.tenants.models import Membership, Role
from tests.servers import free_port, running

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "/ops/dagster"
START_TIMEOUT_S = 240  # a loaded 2-core machine: the webserver and its code server start slowly

DEFS = """
from dagster import Definitions, job, op


@op
def hello():
    return 1


@job
def ops_ui_probe():
    hello()


defs = Definitions(jobs=[ops_ui_probe])
"""
WORKSPACE = """
load_from:
  - python_file:
      relative_path: defs.py
      location_name: probe
"""


@pytest.fixture(scope="module")
def webserver() -> Iterator[str]:
    """The base URL (with the path prefix) of a real dagster-webserver on loopback."""
    folder = Path(tempfile.mkdtemp(prefix="dagster-ui-auth-"))
    home = folder / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    (folder / "defs.py").write_text(DEFS)
    (folder / "workspace.yaml").write_text(WORKSPACE)
    port = free_port()
    command = [
        sys.executable, "-m", "dagster_webserver", "-w", "workspace.yaml",
        "-h", "127.0.0.1", "-p", str(port), "--path-prefix", PREFIX,
    ]  # fmt: skip
    base = f"http://127.0.0.1:{port}{PREFIX}"
    with running(
        command, ready_url=f"{base}/server_info", cwd=folder,
        env={**os.environ, "DAGSTER_HOME": str(home)}, timeout_s=START_TIMEOUT_S,
        log=folder / "webserver.log",
    ):  # fmt: skip
        yield base


@pytest.fixture
def route(settings, webserver) -> str:
    settings.DAGSTER_WEBSERVER_URL = webserver
    return webserver


# -- users -----------------------------------------------------------------------------------


def _user(name: str, **flags: Any):
    return get_user_model().objects.create_user(username=name, password="pw", **flags)


@pytest.fixture
def platform_operator(db):
    """Staff with ops.access_dagster_ui through a group, and no tenant at all."""
    group = Group.objects.create(name="Platform operators")
    group.permissions.add(Permission.objects.get(codename="access_dagster_ui"))
    user = _user("platform_op", is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def outsiders(tenant, make_user) -> dict[str, Any]:
    """Signed-in users who must not open the Dagster UI."""
    boss = _user("acme_boss", is_staff=True)  # staff for the tenant-scoped admin
    Membership.objects.create(tenant=tenant, user=boss, role=Role.ADMIN)
    permless_staff = _user("staff_no_perm", is_staff=True)
    inactive = _user("retired_op", is_staff=True, is_active=False)
    inactive.user_permissions.add(Permission.objects.get(codename="access_dagster_ui"))
    return {
        "tenant admin (staff)": boss,
        "tenant admin": make_user(tenant, Role.ADMIN),
        "tenant operator": make_user(tenant, Role.OPERATOR),
        "staff without the permission": permless_staff,
        "inactive operator": inactive,
    }


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def read(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def graphql(client: Client, query: str, **extra: str):
    return client.post(
        f"{PREFIX}/graphql",
        data=json.dumps({"query": query}),
        content_type="application/json",
        **extra,
    )


# -- the real webserver ------------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def test_anonymous_users_are_refused(route) -> None:
    anonymous = Client()
    page = anonymous.get(f"{PREFIX}/runs", HTTP_ACCEPT="text/html,application/xhtml+xml")
    assert page.status_code == 302
    assert page["Location"] == "/admin/login/?next=/ops/dagster/runs"
    answer = graphql(anonymous, "{ version }")
    assert answer.status_code == 401 and answer.json()["code"] == "ops.E001"
    assert anonymous.get(f"{PREFIX}/server_info").status_code == 401
    assert anonymous.get("/ops/dagster-auth").status_code == 401


def test_users_who_are_not_platform_operators_get_403(route, outsiders) -> None:
    for label, user in outsiders.items():
        client = client_for(user)
        page = client.get(f"{PREFIX}/", HTTP_ACCEPT="text/html")
        answer = graphql(client, "{ version }")
        if not user.is_active:  # force_login keeps no session for an inactive user
            assert (page.status_code, answer.status_code) == (302, 401), label
            continue
        assert page.status_code == 403, label
        assert answer.status_code == 403 and answer.json()["code"] == "ops.E002", label
        assert b"1.13" not in read(answer), label
        assert client.get("/ops/dagster-auth").status_code == 403, label


@pytest.mark.parametrize("who", ["platform_operator", "superuser"])
def test_platform_operators_get_the_dagster_ui_through_the_route(route, who, request) -> None:
    client = client_for(request.getfixturevalue(who))
    page = client.get(f"{PREFIX}/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200
    html = read(page).decode()
    assert '"pathPrefix": "/ops/dagster"' in html
    scripts = re.findall(r'src="(/ops/dagster/_next/static/[^"]+\.js)"', html)
    assert scripts, html[:2000]
    script = client.get(scripts[0])
    assert script.status_code == 200 and "javascript" in script["Content-Type"]
    assert len(read(script)) > 1000

    answer = graphql(client, "{ version }")
    assert answer.status_code == 200
    assert json.loads(read(answer)) == {"data": {"version": dagster.__version__}}
    jobs = graphql(
        client,
        "{ repositoriesOrError { ... on RepositoryConnection { nodes { jobs { name } } } } }",
    )
    names = {
        job["name"]
        for repo in json.loads(read(jobs))["data"]["repositoriesOrError"]["nodes"]
        for job in repo["jobs"]
    }
    assert "ops_ui_probe" in names
    assert client.get("/ops/dagster-auth").status_code == 204

    root = client.get(PREFIX)
    assert root.status_code == 302 and root["Location"] == f"{PREFIX}/"


def test_forgeable_requests_are_refused_even_for_operators(route, platform_operator) -> None:
    client = client_for(platform_operator)
    mutation = "mutation { __typename }"
    refused = [
        graphql(client, mutation, HTTP_ORIGIN="https://evil.example"),
        graphql(client, mutation, HTTP_SEC_FETCH_SITE="cross-site"),
        graphql(client, mutation, HTTP_SEC_FETCH_SITE="same-site"),
        client.post(f"{PREFIX}/graphql", data="query=" + mutation, content_type="text/plain"),
        client.post(f"{PREFIX}/graphql", data={"query": mutation}),  # a form post
        client.get(f"{PREFIX}/graphql", {"query": "{ version }"}),
        client.get(f"{PREFIX}/%67raphql", {"query": mutation}),
        client.get(f"{PREFIX}/graphql/", {"query": mutation}, HTTP_ACCEPT="*/*"),
        client.post(
            f"{PREFIX}/graphql",
            data=json.dumps({"query": mutation}).encode(),
            content_type="text/plain; x=application/json",  # a no-cors fetch may send it
        ),
    ]
    for response in refused:
        assert response.status_code == 403, read(response)
        assert response.json()["code"] == "ops.E003"
    same_origin = graphql(
        client, "{ version }", HTTP_ORIGIN="http://testserver", HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert same_origin.status_code == 200
    # GraphiQL (a page, no query) and a cross-site link to a UI page are fine.
    graphiql = client.get(f"{PREFIX}/graphql", HTTP_ACCEPT="text/html")
    assert graphiql.status_code == 200 and b"graphiql" in read(graphiql).lower()
    linked = client.get(f"{PREFIX}/runs", HTTP_ACCEPT="text/html", HTTP_SEC_FETCH_SITE="cross-site")
    assert linked.status_code == 200


def test_websocket_handshakes_are_not_proxied(route, platform_operator) -> None:
    upgrade = {"HTTP_UPGRADE": "websocket", "HTTP_CONNECTION": "Upgrade"}
    assert Client().get(f"{PREFIX}/graphql", **upgrade).status_code == 401
    response = client_for(platform_operator).get(
        f"{PREFIX}/graphql", HTTP_ORIGIN="http://testserver", **upgrade
    )
    assert response.status_code == 501
    foreign = client_for(platform_operator).get(
        f"{PREFIX}/graphql", HTTP_ORIGIN="https://evil.example", **upgrade
    )
    assert foreign.status_code == 403


# -- a recording stand-in webserver ------------------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: list[dict[str, Any]] = []

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        type(self).seen.append(
            {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
        )
        port = self.server.server_address[1]
        if self.path.endswith("/moved"):
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{port}{PREFIX}/runs/?x=1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "sessionid=from-upstream; Path=/")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer


@pytest.fixture
def recorder(settings) -> Iterator[type[Recorder]]:
    Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    settings.DAGSTER_WEBSERVER_URL = f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    yield Recorder
    server.shutdown()
    server.server_close()


def test_crm_credentials_are_not_forwarded(recorder, platform_operator, tenant) -> None:
    client = client_for(platform_operator)
    session = client.cookies["sessionid"].value
    client.cookies["csrftoken"] = "csrf-secret-value"
    client.cookies["dagster_pref"] = "kept"
    response = client.post(
        f"{PREFIX}/graphql?op=probe",
        data=json.dumps({"query": "{ version }"}),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer crm-token-secret",
        HTTP_X_CSRFTOKEN="csrf-secret-value",
        HTTP_X_TENANT=tenant.slug,
    )
    assert response.status_code == 200
    assert json.loads(read(response)) == {"ok": True}
    assert "Set-Cookie" not in response.headers and not response.cookies.get("sessionid", None)
    (seen,) = recorder.seen
    assert seen["method"] == "POST" and seen["path"] == f"{PREFIX}/graphql?op=probe"
    assert json.loads(seen["body"]) == {"query": "{ version }"}
    headers = {name.lower(): value for name, value in seen["headers"].items()}
    assert headers.get("cookie") == "dagster_pref=kept"
    for name in ("authorization", "x-csrftoken", "x-tenant"):
        assert name not in headers, name
    text = json.dumps(seen["headers"])
    for secret in (session, "csrf-secret-value", "crm-token-secret"):
        assert secret not in text


def test_locations_are_relative_and_refusals_never_reach_the_webserver(
    recorder, platform_operator, outsiders
) -> None:
    moved = client_for(platform_operator).get(f"{PREFIX}/moved")
    assert moved.status_code == 307 and moved["Location"] == f"{PREFIX}/runs/?x=1"
    recorder.seen.clear()
    Client().get(f"{PREFIX}/runs")
    for user in outsiders.values():
        graphql(client_for(user), "{ version }")
    graphql(client_for(platform_operator), "mutation { x }", HTTP_ORIGIN="https://evil.example")
    assert recorder.seen == []


def test_an_unreachable_webserver_is_a_502(settings, platform_operator) -> None:
    settings.DAGSTER_WEBSERVER_URL = f"http://127.0.0.1:{free_port()}{PREFIX}"
    response = graphql(client_for(platform_operator), "{ version }")
    assert response.status_code == 502
    assert b"not reachable" in read(response)


def test_the_nginx_auth_request_endpoint(platform_operator, outsiders) -> None:
    operator = client_for(platform_operator)
    ws = {"HTTP_X_ORIGINAL_UPGRADE": "websocket", "HTTP_X_ORIGINAL_URI": f"{PREFIX}/graphql"}
    assert operator.get("/ops/dagster-auth", HTTP_X_ORIGINAL_URI=f"{PREFIX}/runs").status_code == (
        204
    )
    assert operator.get("/ops/dagster-auth", HTTP_ORIGIN="http://testserver", **ws).status_code == (
        204
    )
    refused = [
        operator.get("/ops/dagster-auth", HTTP_ORIGIN="https://evil.example", **ws),
        operator.get(
            "/ops/dagster-auth",
            HTTP_X_ORIGINAL_METHOD="POST",
            HTTP_X_ORIGINAL_URI=f"{PREFIX}/graphql",
            HTTP_SEC_FETCH_SITE="cross-site",
        ),
        operator.get(
            "/ops/dagster-auth", HTTP_X_ORIGINAL_URI=f"{PREFIX}/graphql?query=mutation%7Bx%7D"
        ),
        operator.get(  # nginx passes the raw URI; the webserver decodes it
            "/ops/dagster-auth", HTTP_X_ORIGINAL_URI=f"{PREFIX}/%67raphql?query=mutation%7Bx%7D"
        ),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403, 403]
    browser = Client().get("/ops/dagster-auth", HTTP_ACCEPT="text/html")
    assert browser.status_code == 401  # nginx only understands 2xx, 401 and 403
    for user in outsiders.values():
        expected = 401 if not user.is_active else 403
        assert client_for(user).get("/ops/dagster-auth").status_code == expected


# -- what binds where ------------------------------------------------------------------------

DAGSTER_COMMAND = re.compile(r"^\s*(?:exec\s+)?(?:\S*/)?(dagster dev|dagster-webserver)\b")
EVERY_INTERFACE = re.compile(r"(?:-h|--host)[= ]+(?:0\.0\.0\.0|::|\[::\]|\*)(?:\s|$)")


def dagster_commands(script: Path) -> list[list[str]]:
    commands = []
    for line in script.read_text().splitlines():
        if DAGSTER_COMMAND.match(line):
            commands.append(shlex.split(line, comments=True))
    return commands


def host_of(argv: list[str]) -> str | None:
    for index, arg in enumerate(argv):
        if arg in ("-h", "--host") and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--host="):
            return arg.split("=", 1)[1]
    return None


@pytest.mark.parametrize("script", ["bin/dev", "bin/e2e-server"])
def test_dev_scripts_bind_the_dagster_ui_to_loopback(script) -> None:
    commands = dagster_commands(ROOT / script)
    assert commands, f"no dagster command found in {script}"
    for argv in commands:
        assert host_of(argv) == "127.0.0.1", argv


def test_no_doc_or_deploy_file_binds_dagster_to_every_interface() -> None:
    files = [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "deploy").rglob("*"))]
    files += sorted((ROOT / "docs").rglob("*.md")) + sorted((ROOT / "bin").iterdir())
    checked = 0
    for path in files:
        if not path.is_file():
            continue
        checked += 1
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if "dagster" in line and EVERY_INTERFACE.search(line):
                pytest.fail(f"{path.relative_to(ROOT)}:{number} binds every interface: {line}")
    assert checked >= 5


def test_nginx_config_puts_the_dagster_ui_behind_auth_request() -> None:
    conf = (ROOT / "deploy" / "production" / "nginx.conf").read_text()
    location = re.search(r"location /ops/dagster/ \{(.*?)\n    \}", conf, re.S)
    assert location, "no location /ops/dagster/ block"
    body = location.group(1)
    assert "auth_request /ops/dagster-auth;" in body
    assert "proxy_pass http://dagster_webserver;" in body
    assert re.search(r"upstream dagster_webserver \{\s*server 127\.0\.0\.1:\d+;\s*\}", conf)
    assert "proxy_set_header Upgrade $http_upgrade;" in body
    assert 'proxy_set_header Cookie "";' in body
    assert 'proxy_set_header Authorization "";' in body
    auth = re.search(r"location = /ops/dagster-auth \{(.*?)\n    \}", conf, re.S)
    assert auth and "internal;" in auth.group(1)
    for header in ("X-Original-Method", "X-Original-URI", "X-Original-Upgrade"):
        assert f"proxy_set_header {header} " in auth.group(1), header


# -- through nginx (deploy/production/nginx.conf, for real) ------------------------------------


NGINX = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin")


def _nginx_site(conf: str, listen: int, crm: int, dagster: int) -> str:
    """The shipped server block on plain HTTP and test ports; everything else as shipped."""
    conf = re.sub(r"\n    listen 443 ssl[^\n]*", f"\n    listen 127.0.0.1:{listen};", conf)
    conf = re.sub(r"\n    ssl_certificate[^\n]*", "", conf)
    conf = re.sub(r"\nserver \{\n    listen 80;.*?\n\}\n", "\n", conf, flags=re.S)
    conf = conf.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{crm};")
    return conf.replace("server 127.0.0.1:3000;", f"server 127.0.0.1:{dagster};")


@pytest.fixture
def nginx(live_server, webserver, tmp_path) -> Iterator[str]:
    """nginx with the shipped config in front of a live CRM and the real webserver."""
    assert NGINX is not None
    port = free_port()
    crm_port = int(live_server.url.rsplit(":", 1)[1])
    dagster_port = int(urlsplit(webserver).port)
    site = _nginx_site(
        (ROOT / "deploy" / "production" / "nginx.conf").read_text(), port, crm_port, dagster_port
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "tmp").mkdir()
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {tmp_path}/tmp;\n"
        f"  proxy_temp_path {tmp_path}/tmp;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    process = subprocess.Popen(
        [NGINX, "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                httpx.get(f"{base}/health", timeout=5)
                break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("nginx did not start: " + (tmp_path / "error.log").read_text()[-2000:])
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def _websocket(base: str, cookie: str | None, origin: str) -> tuple[str, bytes]:
    """A raw WebSocket handshake (graphql-ws) and, once switched, connection_init → the reply."""
    address = urlsplit(base)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        "GET /ops/dagster/graphql HTTP/1.1",
        f"Host: {address.netloc}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: graphql-ws",
        f"Origin: {origin}",
    ] + ([f"Cookie: sessionid={cookie}"] if cookie else [])
    with socket.create_connection((address.hostname, address.port), timeout=60) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
        status = head.split(b"\r\n", 1)[0].decode()
        if " 101 " not in status + " ":
            return status, b""
        payload = json.dumps({"type": "connection_init", "payload": {}}).encode()
        mask = os.urandom(4)
        frame = bytes([0x81, 0x80 | len(payload)]) + mask
        frame += bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        sock.sendall(frame)
        data = head.split(b"\r\n\r\n", 1)[1]
        while len(data) < 2 or len(data) < 2 + (data[1] & 0x7F):
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
        return status, data[2 : 2 + (data[1] & 0x7F)]


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")
@pytest.mark.django_db(transaction=True)
def test_through_nginx_auth_request_guards_the_ui_and_its_websockets(
    nginx, platform_operator, outsiders
) -> None:
    anonymous = httpx.get(f"{nginx}/ops/dagster/runs", timeout=120)
    assert anonymous.status_code == 302
    assert anonymous.headers["location"].endswith("/admin/login/?next=/ops/dagster/runs")
    boss = outsiders["tenant admin (staff)"]
    refused = httpx.get(
        f"{nginx}/ops/dagster/", cookies={"sessionid": _session_cookie(boss)}, timeout=120
    )
    assert refused.status_code == 403

    cookies = {"sessionid": _session_cookie(platform_operator)}
    page = httpx.get(f"{nginx}/ops/dagster/", cookies=cookies, timeout=120)
    assert page.status_code == 200 and '"pathPrefix": "/ops/dagster"' in page.text
    answer = httpx.post(
        f"{nginx}/ops/dagster/graphql", json={"query": "{ version }"}, cookies=cookies, timeout=120
    )
    assert answer.json() == {"data": {"version": dagster.__version__}}
    forged = httpx.post(
        f"{nginx}/ops/dagster/graphql",
        json={"query": "{ version }"},
        cookies=cookies,
        headers={"Origin": "https://evil.example"},
        timeout=120,
    )
    assert forged.status_code == 403

    status, reply = _websocket(nginx, cookies["sessionid"], origin=nginx)
    assert " 101 " in status + " ", status
    assert json.loads(reply) == {"type": "connection_ack"}
    status, _ = _websocket(nginx, None, origin=nginx)
    assert " 302 " in status + " ", status
    status, _ = _websocket(nginx, cookies["sessionid"], origin="https://evil.example")
    assert " 403 " in status + " ", status
