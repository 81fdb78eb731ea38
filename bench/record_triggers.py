"""Record-trigger throughput on the embedded default: record updates through the CRM API, the
record-event sensor in the Dagster daemon (`dagster dev`, queued runs), one active workflow
(field_changed trigger -> condition -> record update). Counts every event's execution.

Usage: .venv/bin/python bench/record_triggers.py [--events 10000] [--per-event-events 40]
       [--single-changes 30]
Figures: events, wall_s (first commit -> last execution finished), events_per_s,
p50/p95_latency_s (commit -> execution started), lost, duplicated; the same under `per_event`
(batch policy mode per_event), and under `single_changes` for changes made one at a time,
1.7 s apart (a user's pace). Until the jobs take {"items": [...]} (compile.SUPPORTS_ITEMS),
the batch mode also runs one event per run, and --events is capped (see `items_supported`).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._env import (  # noqa: E402
    ROOT,
    BenchEnv,
    free_port,
    percentile,
    tenant_with_token,
    wait_until,
    write_results,
)

WRITERS = 8


def _definition(mode: str) -> dict:
    def node(node_id, node_type, config):
        return {
            "id": node_id,
            "type": node_type,
            "position": {"x": 0, "y": 0},
            "data": {"label": node_id, "config": config},
        }

    trigger = {
        "trigger_type": "field_changed",
        "fields": ["stage"],
        "pipelines": ["deals"],
        "batch": {"mode": mode, "max_events": 1000},
    }
    return {
        "nodes": [
            node("start", "trigger", trigger),
            node(
                "big",
                "condition",
                {
                    "rules": [
                        {"left": "{{ trigger.record.data.amount }}", "operator": ">=", "right": 0}
                    ]
                },
            ),
            node(
                "mark",
                "record_update",
                {
                    "pipeline": "deals",
                    "record_id": "{{ trigger.record.id }}",
                    "data": {"score": "{{ trigger.event_id }}"},
                },
            ),
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "big"},
            {"id": "e2", "source": "big", "sourceHandle": "true", "target": "mark"},
        ],
    }


async def _update_all(base: str, key: str, record_ids: list[int], label: str) -> None:
    queue = list(record_ids)

    async def writer():
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=60
        ) as client:
            while queue:
                record_id = queue.pop()
                reply = await client.patch(
                    f"/api/records/{record_id}", json={"data": {"stage": label}}
                )
                reply.raise_for_status()

    await asyncio.gather(*(writer() for _ in range(WRITERS)))


def _update_spaced(base: str, key: str, record_ids: list[int], label: str, gap_s: float) -> None:
    """One change at a time, `gap_s` apart: a CRM user's pace, not a flood."""
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        for record_id in record_ids:
            client.patch(f"/api/records/{record_id}", json={"data": {"stage": label}})
            time.sleep(gap_s)


def _measure(workflow, record_ids: list[int], timeout_s: float) -> dict:
    """Every event's fate: its record's `score` (set by the workflow) and its batch's run."""
    from dagster import DagsterInstance, RunsFilter

    from crm.records.models import Record, RecordEvent
    from crm.triggers.models import TriggerBatch, TriggerDelivery
    from crm.workflows.models import WorkflowExecutionLog

    instance = DagsterInstance.get()
    deadline = time.monotonic() + timeout_s
    scored = Record.objects.filter(pk__in=record_ids, data__has_key="score")
    runs: dict[str, object] = {}
    while time.monotonic() < deadline:
        runs = {}
        for batch in TriggerBatch.objects.filter(workflow=workflow):
            found = instance.get_run_records(RunsFilter(tags={"dagster/run_key": batch.run_key}))
            if found:
                runs[batch.pk] = found[0]
        finished = all(r.end_time for r in runs.values())
        if scored.count() >= len(record_ids) and finished:
            break
        time.sleep(1)
    committed = dict(
        RecordEvent.objects.filter(
            record_id__in=record_ids, changed_fields__has_key="stage"
        ).values_list("pk", "created_at")
    )
    batch_of = dict(
        TriggerDelivery.objects.filter(workflow=workflow).values_list("event_id", "batch_id")
    )
    latencies = [
        runs[batch_of[pk]].start_time - at.timestamp()
        for pk, at in committed.items()
        if batch_of.get(pk) in runs and runs[batch_of[pk]].start_time
    ]
    first = min(at.timestamp() for at in committed.values())
    commit_span = max(at.timestamp() for at in committed.values()) - first
    last = max((r.end_time for r in runs.values() if r.end_time), default=first)
    wall = last - first
    done = scored.count()
    processed = WorkflowExecutionLog.objects.filter(
        execution__workflow=workflow, node_id="mark", status="success"
    ).count()
    return {
        "events": len(committed),
        "runs": len(runs),
        "failed_runs": sum(1 for r in runs.values() if r.dagster_run.status.value != "SUCCESS"),
        "wall_s": round(wall, 2),
        "events_per_s": round(len(committed) / wall, 2) if wall > 0 else None,
        "p50_latency_s": round(percentile(latencies, 0.5), 2) if latencies else None,
        "p95_latency_s": round(percentile(latencies, 0.95), 2) if latencies else None,
        "lost": len(record_ids) - done,
        # How fast the CRM API committed the changes: the pipeline cannot beat that rate.
        "commit_span_s": round(commit_span, 2),
        "commits_per_s": round(len(committed) / commit_span, 2) if commit_span > 0 else None,
        "duplicated": max(0, processed - done),
    }


def _scenario(env, base, key, tenant, mode: str, count: int, gap_s: float = 0.0) -> dict:
    from crm.records.models import Pipeline
    from crm.records.services import record_create
    from crm.workflows.services import workflow_create, workflow_publish, workflow_set_status

    deals = Pipeline.objects.get(tenant=tenant, slug="deals")
    records = [
        record_create(tenant=tenant, pipeline=deals, data={"stage": "new", "amount": n}).pk
        for n in range(count)
    ]
    workflow = workflow_create(
        tenant=tenant,
        name=f"Stage watcher {mode}{' spaced' if gap_s else ''}",
        definition=_definition(mode),
        max_executions_per_hour=1_000_000,  # throughput, not the rate limit, is measured
    )
    workflow_publish(workflow=workflow)
    env.reload()
    time.sleep(15)  # the daemon sees the new job (code location reload), then its sensor ticks
    if gap_s:
        _update_spaced(base, key, records, f"stage-{mode}", gap_s)
    else:
        asyncio.run(_update_all(base, key, records, f"stage-{mode}"))
    figures = _measure(workflow, records, timeout_s=max(600, count * 3))
    workflow_set_status(workflow=workflow, status="paused")
    return figures


class DagsterEnv:
    """`dagster dev` (webserver + daemon) on the bench's instance, as bin/dev starts it."""

    def __init__(self, env: BenchEnv):
        shutil.copy(ROOT / "deploy" / "dagster.yaml", env.dagster_home / "dagster.yaml")
        self.port = free_port()
        log = open(env.dir / "dagster.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "dagster"),
                "dev",
                "-w",
                "workspace.yaml",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        env.processes.append(self.process)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_until(lambda: httpx.get(f"{self.url}/server_info", timeout=2).status_code == 200, 180)

    def reload(self) -> None:
        query = (
            'mutation { reloadRepositoryLocation(repositoryLocationName: "automation") '
            "{ __typename } }"
        )
        httpx.post(f"{self.url}/graphql", json={"query": query}, timeout=300)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--per-event-events", type=int, default=40)
    parser.add_argument("--single-changes", type=int, default=30)
    args = parser.parse_args()
    from automation.sensors.trigger_dispatch import items_supported

    env = BenchEnv("record_triggers")
    try:
        tenant, key = tenant_with_token("bench", "admin")
        base = env.start_crm()
        dagster = DagsterEnv(env)
        env.reload = dagster.reload
        supported = items_supported()
        batch_events = args.events if supported else min(args.events, args.per_event_events)
        figures = _scenario(env, base, key, tenant, "batch", batch_events)
        figures["per_event"] = _scenario(env, base, key, tenant, "per_event", args.per_event_events)
        # A user's pace: one change every 1.7 s (not a multiple of the 5 s sensor loop, so the
        # changes land at every point of it), each to its own record.
        figures["single_changes"] = _scenario(
            env, base, key, tenant, "batch", args.single_changes, gap_s=1.7
        )
        figures["items_supported"] = supported
        figures["note"] = (
            "batch mode delivers up to 1000 events per run as items"
            if supported
            else "jobs do not take items yet (compile.SUPPORTS_ITEMS): batch mode ran one "
            "event per run, with the event count capped"
        )
        write_results("record_triggers", figures)
    finally:
        env.close()


if __name__ == "__main__":
    main()
