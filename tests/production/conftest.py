"""Production parts on this machine's real services: a PostgreSQL-backed Dagster instance,
Redis (and RabbitMQ) as Celery brokers, Celery workers started as real processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def service_up(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def require(port: int, name: str) -> None:
    if not service_up(port):
        pytest.fail(f"{name} is not running on 127.0.0.1:{port} (bin/test starts it)")


def stop_code_servers() -> None:
    """Stop the Dagster code servers this test process started (a workspace's): one left
    behind retries its dropped database for minutes."""
    import psutil

    servers = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "grpc" in child.cmdline() and "dagster" in " ".join(child.cmdline()):
                servers.append(child)
        except psutil.Error:
            pass
    for server in servers:
        try:
            server.terminate()
        except psutil.Error:
            pass
    _gone, alive = psutil.wait_procs(servers, timeout=15)
    for server in alive:
        try:
            server.kill()
        except psutil.Error:
            pass


@pytest.fixture
def postgres_dagster_home(tmp_path, monkeypatch):
    """A DAGSTER_HOME using deploy/production/dagster.yaml on a fresh PostgreSQL database."""
    require(5432, "PostgreSQL")
    import psycopg2

    name = f"dagster_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text((ROOT / "deploy/production/dagster.yaml").read_text())
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv(
        "DAGSTER_POSTGRES_URL", f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    )
    monkeypatch.setenv("DAGSTER_MAX_CONCURRENT_RUNS", "10")
    yield home
    stop_code_servers()
    from automation import instance as shared

    if shared._instance is not None:
        shared._instance.dispose()
        shared._instance = None
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


class Workers:
    """Celery workers started with bin/celery-worker, stopped at the end of the test."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen] = []
        self.by_name: dict[str, subprocess.Popen] = {}

    def start(self, name: str, concurrency: int = 1) -> None:
        log = self.log_dir / f"{name}.log"
        process = subprocess.Popen(
            [str(ROOT / "bin/celery-worker"), name, str(concurrency)],
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
            start_new_session=True,
        )
        self.processes.append(process)
        self.by_name[name] = process
        deadline = time.monotonic() + 90
        while "ready" not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker {name} did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)

    def owner_of(self, pid: int) -> str | None:
        """The worker whose process group holds `pid` (a pool process runs a worker's steps)."""
        try:
            group = os.getpgid(pid)
        except ProcessLookupError:
            return None
        return next((name for name, p in self.by_name.items() if p.pid == group), None)

    def crash(self, name: str) -> None:
        """SIGKILL the worker's whole process group (main process and pool): a real crash."""
        process = self.by_name[name]
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self) -> None:
        for process in self.processes:
            try:
                os.killpg(process.pid, 15)
            except ProcessLookupError:
                pass
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)


BROKERS = {
    "redis": ("redis://127.0.0.1:6379/7", 6379, "Redis"),
    "rabbitmq": ("pyamqp://guest:guest@127.0.0.1:5672//", 5672, "RabbitMQ"),
}


@pytest.fixture(params=sorted(BROKERS))
def celery_workers(request, tmp_path, monkeypatch):
    """Start workers on a Redis or RabbitMQ broker (results in Redis); jobs compile to Celery."""
    broker, port, name = BROKERS[request.param]
    require(port, name)
    require(6379, "Redis")
    db = int(os.environ.get("CELERY_TEST_REDIS_DB", "7"))  # another db keeps parallel runs apart
    broker = broker.replace("6379/7", f"6379/{db}")
    monkeypatch.setenv("CELERY_BROKER_URL", broker)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", f"redis://127.0.0.1:6379/{db}")
    monkeypatch.setenv("AUTOMATION_EXECUTOR", "celery")
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "crm.settings.test")
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()
    workers = Workers(tmp_path)
    yield workers
    workers.stop()
