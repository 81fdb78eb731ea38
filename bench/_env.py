"""A throwaway embedded-default environment for benchmarks: its own CRM database, Dagster
instance and servers, started as subprocesses on free loopback ports."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
logging.getLogger("httpx").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BenchEnv:
    """Sets the environment of this process and its children to a fresh data folder."""

    def __init__(self, name: str):
        self.dir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
        self.dagster_home = self.dir / "dagster"
        self.dagster_home.mkdir()
        (self.dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
        os.environ.update(
            {
                "CRM_DATA_DIR": str(self.dir),
                "DJANGO_SETTINGS_MODULE": "crm.settings.dev",
                "DAGSTER_HOME": str(self.dagster_home),
                "DAGSTER_UI_URL": "http://127.0.0.1:9",  # no webserver: reloads are skipped
                "AUTOMATION_RELOAD_ON_PUBLISH": "0",
            }
        )
        self.processes: list[subprocess.Popen] = []
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        from crm.django_setup import setup_django

        setup_django()

    def start_server(
        self, server: str = "crm-server", root: Path = ROOT
    ) -> tuple[subprocess.Popen, str]:
        """Start the CRM on a free loopback port with `server` (`crm-server`: bin/crm-server,
        the embedded default's; `runserver`: Django's), from the code at `root`; returns the
        process and its base URL once it answers."""
        port = free_port()
        if server == "crm-server":
            command = [str(ROOT / "bin" / "crm-server")]
            extra = {"CRM_HOST": "127.0.0.1", "CRM_PORT": str(port), "CRM_PYTHON": sys.executable}
        else:
            command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
            extra = {}
        log_path = self.dir / f"{server}.log"
        log = open(log_path, "w")  # noqa: SIM115
        process = subprocess.Popen(
            command, cwd=root, env={**os.environ, **extra}, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append(process)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until(lambda: httpx.get(f"{base}/health", timeout=2).status_code == 200, 120)
        except TimeoutError:
            raise SystemExit(f"{server} did not answer on {base}; its log: {log_path}") from None
        return process, base

    def start_crm(self) -> str:
        """Start the CRM as the embedded default does (bin/crm-server); returns its base URL."""
        return self.start_server()[1]

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_until(check, timeout_s: float, interval_s: float = 0.05) -> float:
    """Poll `check` until it is true; returns the seconds waited."""
    start = time.perf_counter()
    while True:
        try:
            if check():
                return time.perf_counter() - start
        except (httpx.HTTPError, OSError):
            pass
        if time.perf_counter() - start > timeout_s:
            raise TimeoutError(f"not ready after {timeout_s} s")
        time.sleep(interval_s)


def tenant_with_token(slug: str, role: str = "admin") -> tuple[Any, str]:
    """A tenant, a user with `role` in it, and an API token for that user."""
    from django.contrib.auth import get_user_model

    from crm.api.tokens import api_token_create
    from crm.records.models import Pipeline
    from crm.tenants.models import Membership, Tenant

    tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": slug.title()})
    Pipeline.objects.get_or_create(tenant=tenant, slug="deals", defaults={"name": "Deals"})
    user, _ = get_user_model().objects.get_or_create(username=f"{slug}_{role}")
    Membership.objects.get_or_create(tenant=tenant, user=user, defaults={"role": role})
    _, key = api_token_create(user=user, tenant=tenant, name="bench")
    return tenant, key


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def write_results(name: str, figures: dict[str, Any]) -> Path:
    """Print the figures and write them to bench/results/<name>.json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2) + "\n")
    for key, value in figures.items():
        print(f"{key:>28}: {value}")
    print(f"written to {path.relative_to(ROOT)}")
    return path
