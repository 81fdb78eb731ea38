"""Slow and cut-short webhook bodies against the embedded default's real server (bin/crm-server:
waitress processes) on a free loopback port and the test database.

Contract: a sender that announces a Content-Length and then dribbles its body (slowloris) holds
no worker thread: while more slow senders than the server has threads are dribbling, a normal
webhook call is accepted and stored. A slow sender that then goes silent for the server's read
timeout (CRM_READ_TIMEOUT, 15 s) is cut off, and none of the slow requests leaves an event. A
body cut short (fewer bytes than its Content-Length, then the connection closes) leaves no event,
even when the bytes that did arrive are valid JSON. Assertions are on stored events, not times;
the waits are generous upper bounds for a loaded machine.
"""

from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from crm.triggers.models import WebhookEvent
from crm.triggers.services import webhook_endpoint_create
from tests.servers import crm_server
from tests.triggers.conftest import publish

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
SERVER_WORKERS, SERVER_THREADS = 2, 4  # 8 threads in all, fewer than the slow senders:
SLOW_SENDERS = 12  # none of them may hold one
GENEROUS_S = 180.0  # upper bound for anything to happen on a loaded machine


@pytest.fixture(scope="module")
def server():
    """bin/crm-server as the embedded default starts it, on the test database."""
    settings = {"CRM_WORKERS": str(SERVER_WORKERS), "CRM_THREADS": str(SERVER_THREADS)}
    with crm_server(**settings) as (_process, port, base):
        yield port, base


@pytest.fixture
def hook(tenant):
    workflow = publish(tenant, "Inbound", {"trigger_type": "webhook"}, title="{{ trigger.body }}")
    endpoint, secret = webhook_endpoint_create(workflow=workflow)
    return workflow, endpoint, secret


def _head(key: str, secret: str, length: int) -> bytes:
    return (
        f"POST /hooks/{key} HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\n"
        "Content-Type: application/json\r\n"
        f"X-Webhook-Secret: {secret}\r\n"
        f"Content-Length: {length}\r\n"
        "\r\n"
    ).encode()


def _connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=GENEROUS_S)


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closed this connection (without waiting)."""
    sock.setblocking(False)
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return True  # end of stream
            # An answer (there should be none for an unfinished body): keep reading.
    except BlockingIOError:
        return False
    except OSError:
        return True  # reset
    finally:
        sock.setblocking(True)


def _read_to_end(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    try:
        while data := sock.recv(65536):
            chunks.append(data)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def _post(base: str, key: str, secret: str, body: dict) -> httpx.Response:
    return httpx.post(
        f"{base}/hooks/{key}",
        json=body,
        headers={"X-Webhook-Secret": secret},
        timeout=GENEROUS_S,
    )


def test_slow_senders_hold_up_no_one_and_are_cut_off_storing_nothing(server, hook):
    port, base = server
    workflow, endpoint, secret = hook
    body = json.dumps({"slow": True, "pad": "x" * 4000}).encode()
    slow = []
    try:
        for _ in range(SLOW_SENDERS):
            sock = _connect(port)
            sock.sendall(_head(endpoint.key, secret, len(body)) + body[:10])
            slow.append(sock)
        sent = 10
        with ThreadPoolExecutor(max_workers=1) as pool:
            normal = pool.submit(_post, base, endpoint.key, secret, {"normal": 1})
            deadline = time.monotonic() + GENEROUS_S
            # Dribble one byte per sender every half second until the normal call is answered.
            while not normal.done():
                assert time.monotonic() < deadline, "the normal webhook call was not answered"
                assert sent < len(body) - 1, "the slow bodies would be complete"
                for sock in slow:
                    sock.sendall(body[sent : sent + 1])
                sent += 1
                time.sleep(0.5)
            reply = normal.result()
        assert reply.status_code == 202, reply.text
        # Answered while every slow sender was still connected and mid-body.
        assert not any(_closed_by_server(sock) for sock in slow)
        assert [e.body for e in WebhookEvent.objects.filter(workflow_id=workflow.pk)] == [
            {"normal": 1}
        ]

        # Now the slow senders go silent: the read timeout closes every one of them.
        deadline = time.monotonic() + GENEROUS_S
        open_ = list(slow)
        while open_:
            assert time.monotonic() < deadline, f"{len(open_)} slow senders were not cut off"
            open_ = [sock for sock in open_ if not _closed_by_server(sock)]
            time.sleep(0.5)
        for sock in slow:  # the rest of the body, too late: nobody listens any more
            try:
                sock.sendall(body[sent:])
            except OSError:
                pass
    finally:
        for sock in slow:
            sock.close()

    # The server goes on serving, and none of the slow requests left an event.
    assert _post(base, endpoint.key, secret, {"normal": 2}).status_code == 202
    assert sorted(
        e.body["normal"] for e in WebhookEvent.objects.filter(workflow_id=workflow.pk)
    ) == [1, 2]


@pytest.mark.parametrize("arrived", ["valid JSON", "half the body"])
def test_a_body_cut_short_stores_nothing(server, hook, arrived):
    port, base = server
    workflow, endpoint, secret = hook
    body = json.dumps({"cut": "short", "pad": "y" * 500}).encode()
    if arrived == "valid JSON":
        # What arrives parses on its own; the missing bytes must still make it no request.
        data, length = b'{"cut": "short"}', 200
    else:
        data, length = body[: len(body) // 2], len(body)
    with _connect(port) as sock:
        sock.sendall(_head(endpoint.key, secret, length) + data)
        sock.shutdown(socket.SHUT_WR)  # no more bytes will come
        answer = _read_to_end(sock)  # until the server has closed its side
    assert b" 202 " not in answer
    assert _post(base, endpoint.key, secret, {"after": "cut"}).status_code == 202
    assert [e.body for e in WebhookEvent.objects.filter(workflow_id=workflow.pk)] == [
        {"after": "cut"}
    ]
