"""OpenAPI-driven fuzzing of the real server: no request makes it answer 5xx.

Contract: `manage.py runserver` (a subprocess on a free loopback port, its own SQLite database
and Dagster instance, the demo seeded, an admin token of tenant acme) serves /api/openapi.json;
schemathesis generates requests for every operation from that schema (positive and negative
cases, a few dozen per operation so the whole run stays well under two minutes), sent with
the token, and none of them gets a server error. Oversized and deeply nested JSON bodies,
sent by hand, are refused with 4xx as well. Skipped, with the reason, when schemathesis is not
installed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

schemathesis = pytest.importorskip(
    "schemathesis", reason="schemathesis is not installed (pip install schemathesis==4.32.5)"
)
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MAX_EXAMPLES = 25


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, str]]:
    """(base URL, admin token of acme) of a real, seeded CRM server."""
    data = Path(tempfile.mkdtemp(prefix="api-fuzz-"))
    (data / "dagster").mkdir()
    (data / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    env = {
        **os.environ,
        "CRM_DATA_DIR": str(data),
        "DJANGO_SETTINGS_MODULE": "crm.settings.dev",
        "DAGSTER_HOME": str(data / "dagster"),
        "DAGSTER_UI_URL": "http://127.0.0.1:9",
        "AUTOMATION_RELOAD_ON_PUBLISH": "0",
    }
    env.pop("CRM_DATABASE_URL", None)  # its own SQLite file, never the tests' database
    _manage(env, "migrate", "--noinput")
    _manage(env, "seed_demo")
    token = _manage(env, "api_token_create", "--user", "acme_admin", "--tenant", "acme").strip()
    port = _free_port()
    log = open(data / "server.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
    yield base, token
    process.terminate()
    process.wait(timeout=10)
    log.close()


def test_no_server_errors(server) -> None:
    base, token = server
    api = schemathesis.openapi.from_url(f"{base}/api/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"}, timeout=30)
            case.validate_response(response, checks=(not_a_server_error,))

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect them all
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert operations >= 20
    assert not failures, "\n\n".join(failures)


def test_huge_and_deep_bodies_are_refused_without_a_server_error(server) -> None:
    base, token = server
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    deep = "[" * 100_000 + "]" * 100_000
    bodies = {
        "deep": '{"name": "x", "definition": ' + deep + "}",
        "deep_object": '{"name": "x", "definition": ' + '{"a":' * 50_000 + "1" + "}" * 50_001,
        "huge": '{"name": "' + "x" * 20_000_000 + '"}',
        "not_json": "{nope",
        "nan": '{"name": NaN}',
        "utf16": '{"name": "\\ud800"}',
    }
    for name, body in bodies.items():
        response = httpx.post(f"{base}/api/workflows", content=body, headers=headers, timeout=60)
        assert response.status_code < 500, (name, response.status_code, response.text[:300])
