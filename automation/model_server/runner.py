"""Start and stop the local model server: in a background thread, or as a subprocess."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import uvicorn

from .app import ServerState, create_app


def uvicorn_config(app: Any, *, host: str = "127.0.0.1", port: int = 0) -> uvicorn.Config:
    """uvicorn with uvloop and httptools when installed, quiet, no access log."""
    return uvicorn.Config(
        app, host=host, port=port, loop="auto", http="auto", lifespan="off",
        access_log=False, log_level="warning", timeout_graceful_shutdown=1,
        backlog=4096, timeout_keep_alive=30,
    )


@dataclass
class RunningServer:
    """A running model server: its base URL and how to read counters and steer it."""

    host: str
    port: int
    _stop: Any = field(repr=False, default=None)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (…/v1)."""
        return f"{self.url}/v1"

    def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def stats(self) -> dict[str, Any]:
        """Requests, completed, in_flight, max_in_flight, by_status, token counters."""
        return self._call("GET", "/_stats")

    def reset(self) -> dict[str, Any]:
        """Zero the counters and drop pending injected failures."""
        return self._call("POST", "/_reset", {})

    def control(self, **body: Any) -> dict[str, Any]:
        """E.g. control(fail_next=[{"status": 429, "retry_after": 1}, 500, "hang"])."""
        return self._call("POST", "/_control", body)

    def stop(self) -> None:
        if self._stop is not None:
            self._stop()
            self._stop = None


def listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(4096)
    sock.set_inheritable(True)
    return sock


def start_in_thread(
    *, latency_s: float = 0.0, host: str = "127.0.0.1", port: int = 0, **settings: Any
) -> RunningServer:
    """Serve in a daemon thread with its own event loop (port 0 picks a free port)."""
    sock = listening_socket(host, port)
    app = create_app(ServerState(latency_s=latency_s, **settings))
    server = uvicorn.Server(uvicorn_config(app))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the model server did not start")
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=5)
        sock.close()

    return RunningServer(host, sock.getsockname()[1], stop)


def start_subprocess(
    *, latency_s: float = 0.0, host: str = "127.0.0.1", port: int = 0
) -> RunningServer:
    """Serve from `python -m automation.model_server` (its own process and CPU)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "automation.model_server", "--host", host, "--port", str(port),
         "--latency", str(latency_s)],
        stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # "listening on http://host:port"
    if not line.startswith("listening on "):
        process.kill()
        raise RuntimeError(f"the model server did not start: {line!r}")

    def stop() -> None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()

    return RunningServer(host, int(line.strip().rsplit(":", 1)[1]), stop)
