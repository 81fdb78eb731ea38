"""Webhook ingress: requests per second accepted (202) by the webhook URL of the embedded
default (Django server on SQLite), 20 concurrent clients on loopback, every accepted event
checked in the database.

Usage: .venv/bin/python bench/webhook_ingress.py [--clients 20] [--seconds 30] [--signed]
Figures: requests, accepted, errors, stored, req_per_s (target: >= 300 req/s), p50/p95 latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._env import BenchEnv, percentile, write_results  # noqa: E402


def _workflow():
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
        tenant=tenant, name="Inbound", definition={"nodes": [trigger], "edges": []}
    )
    workflow_publish(workflow=workflow)
    endpoint, secret = webhook_endpoint_create(workflow=workflow)
    return workflow, endpoint, secret


async def _client(url, secret, signed, deadline, results, number):
    from standardwebhooks import Webhook

    signer = Webhook(secret)
    async with httpx.AsyncClient(timeout=30) as client:
        sequence = 0
        while time.perf_counter() < deadline:
            sequence += 1
            body = json.dumps({"client": number, "n": sequence, "text": "x" * 200})
            headers = {"Content-Type": "application/json"}
            if signed:
                msg_id = f"msg_{number}_{sequence}"
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
            start = time.perf_counter()
            try:
                reply = await client.post(url, content=body, headers=headers)
                ok = reply.status_code == 202
                results["ids"].add(reply.json()["event_id"]) if ok else None
            except httpx.HTTPError:
                ok = False
            results["latency"].append(time.perf_counter() - start)
            results["accepted" if ok else "errors"] += 1


async def _load(url, secret, signed, clients, seconds):
    results = {"accepted": 0, "errors": 0, "latency": [], "ids": set()}
    deadline = time.perf_counter() + seconds
    start = time.perf_counter()
    await asyncio.gather(
        *(_client(url, secret, signed, deadline, results, n) for n in range(clients))
    )
    return results, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--signed", action="store_true", help="Standard Webhooks signatures")
    args = parser.parse_args()
    env = BenchEnv("webhook_ingress")
    try:
        _, endpoint, secret = _workflow()
        base = env.start_crm()
        url = f"{base}/hooks/{endpoint.key}"
        results, elapsed = asyncio.run(_load(url, secret, args.signed, args.clients, args.seconds))
        from crm.triggers.models import WebhookEvent

        stored = WebhookEvent.objects.filter(pk__in=results["ids"]).count()
        requests = results["accepted"] + results["errors"]
        write_results(
            "webhook_ingress",
            {
                "clients": args.clients,
                "seconds": round(elapsed, 2),
                "auth": "signature" if args.signed else "secret_header",
                "requests": requests,
                "accepted": results["accepted"],
                "errors": results["errors"],
                "stored": stored,
                "all_accepted_stored": stored == results["accepted"],
                "req_per_s": round(results["accepted"] / elapsed, 1),
                "p50_latency_ms": round(percentile(results["latency"], 0.5) * 1000, 1),
                "p95_latency_ms": round(percentile(results["latency"], 0.95) * 1000, 1),
                "server": "manage.py runserver (embedded default), SQLite WAL",
            },
        )
    finally:
        env.close()


if __name__ == "__main__":
    main()
