"""Real server processes for tests: start one, wait until it answers, stop it afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running(
    command: list[str],
    *,
    ready_url: str,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    timeout_s: float = 180.0,
    log: Path | None = None,
) -> Iterator[subprocess.Popen]:
    """Run `command` until the block ends; yields once `ready_url` answers 200. A process that
    exits or never answers fails the test with the tail of its log (when `log` is given)."""
    output: Any = log.open("w") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                if httpx.get(ready_url, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text()[-3000:] if log is not None else ""
                state = "exited" if process.poll() is not None else "did not answer"
                raise AssertionError(f"{command[0]} {state} ({ready_url})\n{tail}")
            time.sleep(0.2)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        if log is not None:
            output.close()


@contextmanager
def crm_server(**settings: str) -> Iterator[tuple[subprocess.Popen, int, str]]:
    """bin/crm-server (the embedded default's CRM server) on the test database and a free
    port, with extra CRM_* `settings`; yields (process, port, base URL)."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "crm.settings.test",
        "CRM_PYTHON": sys.executable,
        "CRM_HOST": "127.0.0.1",
        "CRM_PORT": str(port),
        **settings,
    }
    base = f"http://127.0.0.1:{port}"
    with running([str(ROOT / "bin" / "crm-server")], ready_url=f"{base}/health", env=env) as p:
        yield p, port, base
