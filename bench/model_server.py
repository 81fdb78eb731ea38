"""Throughput ceiling of the local model server: chat completions per second at a latency.

Starts the server as a subprocess (its own process), then drives it from this process with a
lean keep-alive HTTP/1.1 client (raw asyncio streams, uvloop when installed) over `--connections`
connections for `--seconds`. Prints requests/s and writes bench/results/model_server.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from automation.model_server.runner import start_subprocess

RESULTS = Path(__file__).parent / "results" / "model_server.json"
BODY = json.dumps(
    {
        "model": "local-echo",
        "messages": [
            {
                "role": "system",
                "content": "Classify.\nLabels:\n- hot: ready to buy\n- cold: no interest",
            },
            {"role": "user", "content": "Customer is ready to buy 40 seats next week."},
        ],
    }
).encode()


def _request(port: int) -> bytes:
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nAuthorization: Bearer bench\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n"
    )
    return head.encode() + BODY


async def _worker(port: int, until: float, counts: dict[str, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = _request(port)
    try:
        while time.monotonic() < until:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            key = "ok" if head.startswith(b"HTTP/1.1 200") else "error"
            counts[key] += 1
    finally:
        writer.close()


async def _drive(port: int, connections: int, seconds: float) -> dict[str, int]:
    counts = {"ok": 0, "error": 0}
    await asyncio.gather(*[_worker(port, time.monotonic() + 0.5, counts) for _ in range(20)])
    counts = {"ok": 0, "error": 0}
    until = time.monotonic() + seconds
    await asyncio.gather(*[_worker(port, until, counts) for _ in range(connections)])
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--connections", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    server = start_subprocess(latency_s=args.latency)
    try:
        started = time.monotonic()
        counts = runner(_drive(server.port, args.connections, args.seconds))
        wall = time.monotonic() - started - 0.5
        stats = server.stats()
    finally:
        server.stop()
    rate = counts["ok"] / wall
    ideal = args.connections / args.latency if args.latency else None
    result = {
        "latency_s": args.latency,
        "connections": args.connections,
        "seconds": round(wall, 3),
        "requests_ok": counts["ok"],
        "errors": counts["error"],
        "requests_per_s": round(rate, 1),
        "ideal_requests_per_s": ideal,
        "server_max_in_flight": stats["max_in_flight"],
    }
    print(
        f"model server: {rate:,.0f} requests/s at {args.latency * 1000:g} ms latency, "
        f"{args.connections} connections (ideal {ideal or 0:,.0f}/s), "
        f"server max in flight {stats['max_in_flight']}, errors {counts['error']}"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
