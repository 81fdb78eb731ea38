"""Webhook ingress: requests per second accepted (202) by the webhook URL of the embedded
default (bin/crm-server: waitress on SQLite), 20 concurrent clients on loopback, every accepted
event checked in the database.

Usage: .venv/bin/python bench/webhook_ingress.py [--clients 20] [--seconds 30] [--signed]
           [--server crm-server|runserver] [--compare] [--before DIR] [--note TEXT]
           [--client wrk|httpx]
Figures: requests, accepted, errors, stored, req_per_s (target: >= 300 req/s), p50/p95 latency,
the server's CPU time per request and the load average around the run.
`--compare` then measures `manage.py runserver` (the server used before) with this code, the
same way, right after, on the same machine and database, under `baseline`; `--before DIR`
measures runserver running an earlier checkout (the code before a change), under `before`.
The load comes from wrk by default (Debian's `wrk` package: `apt-get install wrk`), which takes
a few % of a core; `--client httpx` (the client of the figures before, and the one for
`--signed`) costs ~2.4 ms of CPU a request, which on 2 cores is taken from the server. Every
202 must have stored its event: the workflow's events are counted before and after the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._env import ROOT, BenchEnv, percentile, write_results  # noqa: E402

SERVERS = {
    "crm-server": "bin/crm-server (waitress, 2 processes x 16 threads; the embedded default), "
    "SQLite WAL",
    "runserver": "manage.py runserver --noreload (the embedded default before), SQLite WAL",
}


def _workflow(name: str):
    from crm.tenants.models import Tenant
    from crm.triggers.services import webhook_endpoint_create
    from crm.workflows.services import workflow_create, workflow_publish

    tenant, _ = Tenant.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    trigger = {
        "id": "start",
        "type": "trigger",
        "position": {"x": 0, "y": 0},
        "data": {"label": "Webhook", "config": {"trigger_type": "webhook"}},
    }
    workflow = workflow_create(
        tenant=tenant, name=name, definition={"nodes": [trigger], "edges": []}
    )
    workflow_publish(workflow=workflow)
    endpoint, secret = webhook_endpoint_create(workflow=workflow)
    return workflow, endpoint, secret


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children still running."""
    import psutil

    total = 0.0
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _stop(env: BenchEnv, process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    env.processes.remove(process)


def _request(secret: str, signed: bool, number: int, sequence: int, signer) -> tuple[str, dict]:
    body = json.dumps({"client": number, "n": sequence, "text": "x" * 200})
    headers = {"Content-Type": "application/json"}
    if signed:
        msg_id = f"msg_{number}_{sequence}_{time.monotonic_ns()}"
        now = datetime.now(tz=UTC)
        headers.update(
            {
                "webhook-id": msg_id,
                "webhook-timestamp": str(int(now.timestamp())),
                "webhook-signature": signer.sign(msg_id, now, body),
            }
        )
    else:
        headers["X-Webhook-Secret"] = secret
    return body, headers


async def _httpx_client(url, secret, signed, deadline, results, number):
    """One client on httpx (one keep-alive connection)."""
    from standardwebhooks import Webhook

    signer = Webhook(secret)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        sequence = 0
        while time.perf_counter() < deadline:
            sequence += 1
            body, headers = _request(secret, signed, number, sequence, signer)
            start = time.perf_counter()
            try:
                reply = await client.post(url, content=body, headers=headers)
                outcome = str(reply.status_code)
                if reply.status_code == 202:
                    results["ids"].add(reply.json()["event_id"])
            except (httpx.HTTPError, ValueError, KeyError) as exc:  # ValueError: not JSON
                outcome = type(exc).__name__
            results["latency"].append(time.perf_counter() - start)
            results["outcomes"][outcome] += 1


# wrk (Debian's package): the load generator, a few % of a core for the whole load, so on 2
# cores nearly all the CPU is left to the server under test. Each thread counts the 202s.
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = [[BODY]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-Webhook-Secret"] = "SECRET"
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) accepted = 0; other = 0 end
function response(status, headers, body)
  if status == 202 then accepted = accepted + 1 else other = other + 1 end
end
function done(summary, latency, requests)
  local a, o = 0, 0
  for _, t in ipairs(threads) do a = a + t:get("accepted"); o = o + t:get("other") end
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "accepted": %d, "other": %d, "socket_errors": %d, '
    .. '"seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f}\\n',
    summary.requests, a, o, e.connect + e.read + e.write + e.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def _client_cpu() -> float:
    """CPU seconds of this process and of its ended children (wrk)."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _wrk_load(env: BenchEnv, url: str, secret: str, clients: int, seconds: float) -> dict:
    """Run wrk (`clients` keep-alive connections on 2 threads); its counts and latencies."""
    import shutil

    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk (or use --client httpx)")
    body = json.dumps({"client": "wrk", "text": "x" * 200})
    script = env.dir / "webhook.lua"
    script.write_text(WRK_SCRIPT.replace("BODY", body).replace("SECRET", secret))
    command = ["wrk", "-t", "2", "-c", str(clients), "-d", f"{seconds:g}s", "--timeout", "30s",
               "-s", str(script), url]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no figures: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    return json.loads(line[4:])


async def _load(url, secret, signed, clients, seconds):
    """`clients` httpx clients in this process, each on one keep-alive connection."""
    results = {"outcomes": Counter(), "latency": [], "ids": set()}
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(
        *(_httpx_client(url, secret, signed, deadline, results, n) for n in range(clients))
    )
    return results, time.perf_counter() - start


def _warm_up(url: str, secret: str) -> None:
    """A few requests first, so that lazy imports are not timed."""
    with httpx.Client(timeout=30) as client:
        for _ in range(20):
            try:
                client.post(url, json={"warm": True}, headers={"X-Webhook-Secret": secret})
            except httpx.HTTPError:
                pass  # the timed run counts what fails


def measure(env: BenchEnv, server: str, args, root: Path = ROOT) -> dict:
    """Start `server` (from the code at `root`), load it for the given time, stop it; the
    figures."""
    from crm.triggers.models import WebhookEvent

    workflow, endpoint, secret = _workflow(f"Inbound via {server} from {root}")
    process, base = env.start_server(server, root)
    try:
        url = f"{base}/hooks/{endpoint.key}"
        _warm_up(url, secret)
        load_before = os.getloadavg()
        cpu_before, client_before = _cpu_seconds(process.pid), _client_cpu()
        stored_before = WebhookEvent.objects.filter(workflow=workflow).count()
        if args.client == "wrk":
            wrk = _wrk_load(env, url, secret, args.clients, args.seconds)
        else:
            results, elapsed = asyncio.run(
                _load(url, secret, args.signed, args.clients, args.seconds)
            )
        cpu = _cpu_seconds(process.pid) - cpu_before
        client_cpu = _client_cpu() - client_before
        load_after = os.getloadavg()
    finally:
        _stop(env, process)
    stored = WebhookEvent.objects.filter(workflow=workflow).count() - stored_before
    if args.client == "wrk":
        accepted, requests, elapsed = wrk["accepted"], wrk["requests"], wrk["seconds"]
        outcomes = {"202": accepted, "other": wrk["other"], "socket": wrk["socket_errors"]}
        p50, p95 = wrk["p50_ms"], wrk["p95_ms"]
        answered = accepted  # wrk does not keep the event ids: the counts are compared
    else:
        accepted, requests = results["outcomes"]["202"], sum(results["outcomes"].values())
        outcomes = dict(sorted(results["outcomes"].items()))
        p50 = percentile(results["latency"], 0.5) * 1000
        p95 = percentile(results["latency"], 0.95) * 1000
        answered = len(results["ids"])
    return {
        "server": SERVERS[server] + ("" if root == ROOT else f", code from {root}"),
        "clients": args.clients,
        "seconds": round(elapsed, 2),
        "auth": "signature" if args.signed else "secret_header",
        "client": args.client,
        "requests": requests,
        "accepted": accepted,
        "errors": requests - accepted,
        "outcomes": outcomes,
        "stored": stored,
        # wrk stops with requests in flight: stored but never answered (at most one per
        # connection). None accepted is missing when stored >= accepted.
        "all_accepted_stored": stored >= accepted == answered,
        "in_flight_at_stop": stored - accepted,
        "req_per_s": round(accepted / elapsed, 1),
        "p50_latency_ms": round(p50, 1),
        "p95_latency_ms": round(p95, 1),
        # CPU time the server processes used per accepted request: the server's own cost,
        # much less sensitive than req_per_s to what else runs on the machine.
        "server_cpu_ms_per_request": round(cpu / max(accepted, 1) * 1000, 2),
        # The same for this benchmark's clients (wrk, or httpx in this process): on 2 cores
        # they compete with the server, so req_per_s is bounded by the sum of both.
        "client_cpu_ms_per_request": round(client_cpu / max(requests, 1) * 1000, 2),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in load_after],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--signed", action="store_true", help="Standard Webhooks signatures")
    parser.add_argument(
        "--client",
        choices=["wrk", "httpx"],
        default="wrk",
        help="wrk: Debian's load generator (light); httpx: asyncio clients in this process "
        "(~2.4 ms of CPU a request, taken from the server on 2 cores; the one for --signed)",
    )
    parser.add_argument("--server", choices=sorted(SERVERS), default="crm-server")
    parser.add_argument(
        "--compare", action="store_true", help="then measure runserver the same way (baseline)"
    )
    parser.add_argument(
        "--before",
        type=Path,
        help="a checkout of an earlier commit (git archive COMMIT | tar -x -C DIR): measure "
        "runserver running that code too, under `before` (its database schema must be a "
        "subset of this one's)",
    )
    parser.add_argument("--note", default="", help="added to the results (e.g. machine state)")
    args = parser.parse_args()
    if args.signed:
        args.client = "httpx"  # each request signs its own id and timestamp
    env = BenchEnv("webhook_ingress")
    try:
        figures = measure(env, args.server, args)
        if args.compare and args.server != "runserver":
            figures["baseline"] = measure(env, "runserver", args)
        if args.before:
            figures["before"] = measure(env, "runserver", args, args.before.resolve())
        figures["cpus"] = os.cpu_count()
        figures["note"] = " ".join(
            part
            for part in (
                args.note,
                f"load average (1, 5, 15 min) when the run ended: "
                f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}.",
            )
            if part
        )
        write_results("webhook_ingress", figures)
    finally:
        env.close()


if __name__ == "__main__":
    main()
