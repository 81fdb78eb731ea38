"""An AI endpoint (the tenant sets its URL) that answers with an enormous body is refused
with a clear node error once the body passes 8 MiB, whether it says its length, streams it in
chunks or compresses it, and the call is not retried; a normal answer of the same three kinds
is read in full. A real HTTP server on loopback."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from automation.nodes.base import NodeError
from crm.tenants.services import ai_settings_set
from crm_resources.ai_loop import MAX_ANSWER_BYTES

from .conftest import ai_client

pytestmark = pytest.mark.django_db(transaction=True)  # usage is written from another thread


def _answer(padding: int) -> bytes:
    return json.dumps({
        "model": "big", "choices": [{"message": {"content": "x" * padding},
                                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2},
    }).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    requests = 0
    padding = MAX_ANSWER_BYTES
    modes: list[str] = []  # how each answer was sent

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["content-length"]))
        type(self).requests += 1
        body, mode = _answer(self.padding), self.path.split("/")[1]
        type(self).modes.append(mode)
        self.send_response(200)
        self.send_header("content-type", "application/json")
        if mode == "gzip":
            body = gzip.compress(body)
            self.send_header("content-encoding", "gzip")
        if mode == "chunked":
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            for start in range(0, len(body), 1 << 20):
                part = body[start:start + (1 << 20)]
                try:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                except OSError:  # the client stopped reading
                    return
            self.wfile.write(b"0\r\n\r\n")
            return
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass


@pytest.fixture
def big_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Handler.requests, Handler.modes = 0, []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("mode", ["length", "chunked", "gzip"])
def test_an_answer_over_8_mib_is_refused_without_retrying(ai_tenant, big_server, mode) -> None:
    Handler.padding = MAX_ANSWER_BYTES
    ai_settings_set(tenant=ai_tenant, base_url=f"{big_server}/{mode}/v1")
    with pytest.raises(NodeError) as failed:
        asyncio.run(ai_client(ai_tenant).chat([{"role": "user", "content": "hi"}]))
    assert str(failed.value) == "the AI service's answer is larger than 8 MiB"
    assert (failed.value.error_type, failed.value.transient) == ("ai_bad_response", False)
    assert Handler.requests == 1
    assert Handler.modes == [mode]


@pytest.mark.parametrize("mode", ["length", "chunked", "gzip"])
def test_a_large_answer_under_the_cap_is_read_in_full(ai_tenant, big_server, mode) -> None:
    Handler.padding = 3 * 2**20
    ai_settings_set(tenant=ai_tenant, base_url=f"{big_server}/{mode}/v1")
    result = asyncio.run(ai_client(ai_tenant).chat([{"role": "user", "content": "hi"}]))
    assert result.text == "x" * Handler.padding
    assert result.usage["total_tokens"] == 5
    assert Handler.modes == [mode]
