"""'Run now' through the API for a 5-node workflow without AI: request to execution finished.

Usage: .venv/bin/python bench/manual_run.py [--runs 20]
Figures: runs, p50_s, p95_s (targets: p50 <= 3 s), plus min/mean/max.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._env import BenchEnv, percentile, tenant_with_token, write_results  # noqa: E402

FINAL = {"success", "failed", "canceled"}


def five_node_workflow() -> dict:
    def node(node_id: str, node_type: str, config: dict) -> dict:
        return {
            "id": node_id,
            "type": node_type,
            "position": {"x": 0, "y": 0},
            "data": {"label": node_id, "config": config},
        }

    return {
        "nodes": [
            node("start", "trigger", {"sample_payload": {"min": 100}}),
            node(
                "find",
                "record_find",
                {
                    "pipeline": "deals",
                    "limit": 5,
                    "filters": [
                        {"field": "amount", "operator": ">=", "value": "{{ trigger.min }}"}
                    ],
                },
            ),
            node(
                "any",
                "condition",
                {"rules": [{"left": "{{ nodes.find.count }}", "operator": ">=", "right": 0}]},
            ),
            node(
                "create",
                "record_create",
                {
                    "pipeline": "deals",
                    "data": {"name": "follow-up of {{ nodes.find.count }}", "amount": 1},
                },
            ),
            node(
                "notify",
                "task_notify",
                {"title": "created {{ nodes.create.record.id }}", "assign_to_role": "operator"},
            ),
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "find"},
            {"id": "e2", "source": "find", "target": "any"},
            {"id": "e3", "source": "any", "sourceHandle": "true", "target": "create"},
            {"id": "e4", "source": "create", "target": "notify"},
        ],
    }


def wait_for_end(client: httpx.Client, execution_id: str, timeout_s: float = 120) -> dict:
    """Poll the execution until it has finished; returns its detail."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        detail = client.get(f"/executions/{execution_id}").json()
        if detail.get("status") in FINAL:
            return detail
        time.sleep(0.02)
    raise TimeoutError(f"execution {execution_id} did not finish in {timeout_s} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    env = BenchEnv("manual-run")
    try:
        _tenant, key = tenant_with_token("acme", "admin")
        base = env.start_crm()
        client = httpx.Client(
            base_url=f"{base}/api", headers={"Authorization": f"Bearer {key}"}, timeout=60
        )
        created = client.post(
            "/workflows", json={"name": "Bench five", "definition": five_node_workflow()}
        )
        created.raise_for_status()
        workflow_id = created.json()["id"]
        client.post(f"/workflows/{workflow_id}/publish", json={}).raise_for_status()

        timings: list[float] = []
        for index in range(args.runs + 1):
            start = time.perf_counter()
            reply = client.post(f"/workflows/{workflow_id}/run", json={"payload": {"min": 100}})
            reply.raise_for_status()
            execution_id = reply.json()["execution_id"]
            status = wait_for_end(client, execution_id)
            elapsed = time.perf_counter() - start
            if status["status"] != "success":
                raise SystemExit(f"run {index} ended {status['status']}: {status.get('error')}")
            if index:  # the first run warms the server's imports and caches
                timings.append(elapsed)
            print(f"run {index:>2}: {elapsed:.3f} s{' (warm-up)' if not index else ''}")
        write_results(
            "manual_run",
            {
                "runs": len(timings),
                "nodes": 5,
                "p50_s": round(percentile(timings, 0.5), 3),
                "p95_s": round(percentile(timings, 0.95), 3),
                "min_s": round(min(timings), 3),
                "mean_s": round(statistics.mean(timings), 3),
                "max_s": round(max(timings), 3),
                "path": "API run-now -> in-process executor on the Dagster instance",
            },
        )
    finally:
        env.close()


if __name__ == "__main__":
    main()
