"""The embedded default's CRM server (started by bin/crm-server): waitress serving crm.wsgi in
CRM_WORKERS processes, each with its own listening socket on the same port (SO_REUSEPORT: the
kernel spreads connections over them) and CRM_THREADS worker threads.

waitress reads each request (headers and body) in its I/O loop before a worker thread runs it,
so a slow or stalled sender holds no thread, and it closes a connection that sends nothing for
CRM_READ_TIMEOUT seconds (mid-body or idle). Several processes let Django use every core;
SQLite serializes their writes (WAL, busy timeout), each transaction being one short INSERT.

The parent only supervises: a worker that dies is started again; SIGTERM or SIGINT stops them
all; a worker whose parent is gone (even killed with SIGKILL) stops too.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import sys
import threading
import time

PR_SET_PDEATHSIG = 1


def _setting(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _listen(host: str, port: int, shared: bool = True) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if shared:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(1024)
    return sock


def _die_with_parent(parent: int) -> None:
    """Stop when the supervisor is gone, however it ended."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass

    def watch() -> None:  # also where prctl is unavailable, or if the parent died already
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker(parent: int, host: str, port: int) -> None:
    """One serving process (never returns)."""
    _die_with_parent(parent)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the supervisor, which stops us
    import waitress

    from crm.wsgi import application

    sock = _listen(host, port)  # only once the app is loaded: no connection waits on a loader
    waitress.serve(
        application,
        sockets=[sock],
        threads=_setting("CRM_THREADS", 16),
        channel_timeout=_setting("CRM_READ_TIMEOUT", 15),
        cleanup_interval=2,
        max_request_body_size=_setting("CRM_MAX_BODY_BYTES", 8 * 1024 * 1024),
        connection_limit=_setting("CRM_MAX_CONNECTIONS", 500),
        asyncore_use_poll=True,
        ident="crm",
    )
    os._exit(0)


def main() -> None:
    host = os.environ.get("CRM_HOST", "127.0.0.1")
    port = _setting("CRM_PORT", 8000)
    workers = max(1, _setting("CRM_WORKERS", 2))
    try:
        _listen(host, port, shared=False).close()  # fail here, once, if anyone holds the port
    except OSError as exc:
        raise SystemExit(f"cannot listen on {host}:{port}: {exc}") from None
    parent = os.getpid()
    children: set[int] = set()
    stopping = False

    def start() -> None:
        pid = os.fork()
        if pid == 0:
            try:
                _worker(parent, host, port)
            finally:
                os._exit(1)
        children.add(pid)

    def stop(*_) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        start()
    print(f"CRM on http://{host}:{port}/ ({workers} processes, waitress)", flush=True)
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if not stopping:
            print(f"worker {pid} ended ({status}); starting another", file=sys.stderr, flush=True)
            time.sleep(1)
            start()


if __name__ == "__main__":
    main()
