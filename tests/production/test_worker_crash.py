"""A Celery worker killed mid-chunk loses nothing and writes nothing twice: killed whole
(SIGKILL of its process group: main process and pool), or only the pool process running the
chunk (then the run fails and Dagster's run retry re-executes it from failure).

Production parts only: the PostgreSQL Dagster instance of deploy/production/dagster.yaml, a real
broker, two bin/celery-worker processes, runs through the queue (run now in queue mode), and
the daemons' own iterations driven here as `dagster-daemon` runs them: the queued run
coordinator, run monitoring, run retries (the event log consumer) and the CRM's execution
reconciler. The for-each body is a loop per deal (one step per chunk) that calls a slow
loopback HTTP server and then updates the deal, so a killed chunk has already updated some
deals when it dies. Late acknowledgement (automation/graph_factory/executors.py) hands the
killed chunk of a dead worker to the other one; the re-run chunk calls the server again for every
item, but
its record writes are once per (execution, node, item): each deal keeps the token of its first
call and has exactly one update event.
"""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterRunStatus
from dagster._core.workspace.context import WorkspaceProcessContext
from dagster._core.workspace.load_target import WorkspaceFileTarget
from dagster._daemon.auto_run_reexecution.event_log_consumer import EventLogConsumerDaemon
from dagster._daemon.monitoring.run_monitoring import execute_run_monitoring_iteration
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import (
    QueuedRunCoordinatorDaemon,
)

from automation.instance import get_instance
from automation.launcher import run_now
from automation.sensors.executions import reconcile_executions
from crm.records.models import Pipeline, Record, RecordEvent, RecordEventKind, RecordWriteKey
from crm.workflows.services import workflow_create, workflow_publish

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
DEALS = 12
BATCH = 3  # deals per chunk: 4 chunks
DELAY_S = 1.5  # per call: a chunk step takes ~4.5 s
VISIBILITY_S = 45  # Redis hands an unacknowledged step to another worker after this
ACTIVE = {DagsterRunStatus.QUEUED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED}
log = logging.getLogger("test_worker_crash")


class SlowServer:
    """Loopback HTTP: /deal/<id> answers after DELAY_S with a new token per call."""

    def __init__(self):
        self.lock = threading.Lock()
        self.calls: dict[int, list[int]] = defaultdict(list)  # deal id -> tokens served
        self.tokens = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                time.sleep(DELAY_S)
                deal = int(re.fullmatch(r"/deal/(\d+)", self.path).group(1))
                with outer.lock:
                    outer.tokens += 1
                    token = outer.tokens
                body = json.dumps({"token": token}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:  # the caller was killed while it waited
                    return
                with outer.lock:
                    outer.calls[deal].append(token)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def served(self, deal: int) -> list[int]:
        with self.lock:
            return list(self.calls[deal])

    def close(self):
        self.server.shutdown()


def node(node_id, node_type, config, parent=None):
    entry = {"id": node_id, "type": node_type, "position": {"x": 0, "y": 0},
             "data": {"label": node_id, "config": config}}
    if parent:
        entry["parentId"] = parent
    return entry


def enrichment_definition(url: str) -> dict:
    """find deals -> for each chunk of deals: per deal, call the server, update the deal."""
    return {
        "nodes": [
            node("start", "trigger", {}),
            node("find", "record_find", {"pipeline": "deals", "limit": DEALS, "sort_by": "id"}),
            node("each", "for_each", {"items": "{{ nodes.find.records }}", "batch_size": BATCH,
                                      "max_concurrency": 1, "on_item_error": "fail"}),
            node("deal", "for_each", {"items": "{{ [item] }}", "max_concurrency": 1,
                                      "on_item_error": "fail"}, parent="each"),
            node("fetch", "http_request", {"url": url + "/deal/{{ item.id }}", "timeout_s": 60},
                 parent="deal"),
            node("update", "record_update", {
                "pipeline": "deals", "record_id": "{{ item.id }}",
                "data": {"token": "{{ nodes.fetch.body.token }}"},
            }, parent="deal"),
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "find"},
            {"id": "e2", "source": "find", "target": "each"},
            {"id": "e3", "source": "each", "sourceHandle": "item", "target": "deal"},
            {"id": "e4", "source": "deal", "sourceHandle": "item", "target": "fetch"},
            {"id": "e5", "source": "fetch", "target": "update"},
        ],
    }


def step_events(instance, run_id: str, event_type) -> list:
    return [e for e in instance.all_logs(run_id, of_type=event_type) if e.step_key]


@pytest.fixture
def slow_server():
    server = SlowServer()
    yield server
    server.close()


def crash_mid_chunk(tenant, celery_workers, slow_server, kill) -> dict:
    """Run the enrichment through the queue on workers w1 and w2; once a chunk step has updated
    some of its deals, `kill(worker name, pid of the step's process)`; drive the daemons until
    the execution ends. Returns what the assertions need."""
    tenant.http_allowed_hosts = ["127.0.0.1"]
    tenant.save()
    pipeline = Pipeline.objects.create(tenant=tenant, slug="deals", name="Deals")
    deals = [Record.objects.create(tenant=tenant, pipeline=pipeline, data={"n": n}).pk
             for n in range(DEALS)]
    workflow = workflow_create(tenant=tenant, name="Enrich", retry_count=0,
                               definition=enrichment_definition(slow_server.url))
    workflow_publish(workflow=workflow)
    celery_workers.start("w1")
    celery_workers.start("w2")

    instance = get_instance()
    target = WorkspaceFileTarget(paths=[str(ROOT / "workspace.yaml")])
    with WorkspaceProcessContext(instance, target) as workspace:
        queue = QueuedRunCoordinatorDaemon(interval_seconds=1)
        retries = EventLogConsumerDaemon(interval_seconds=1)

        def daemons_tick():
            list(queue.run_iteration(workspace))
            list(execute_run_monitoring_iteration(workspace, log))
            list(retries.run_iteration(workspace))
            reconcile_executions(instance, min_age_s=0)

        daemons_tick()  # the run-retry daemon's cursor starts before the run
        execution = run_now(workflow=workflow)
        run_id = execution.dagster_run_id
        try:
            # 1. Wait until a chunk step is mid-chunk: started, some of its deals updated.
            victim = None
            deadline = time.monotonic() + 300
            while victim is None:
                assert time.monotonic() < deadline, "no chunk step got under way"
                daemons_tick()
                done = {e.step_key for e in step_events(
                    instance, run_id, DagsterEventType.STEP_SUCCESS)}
                updated = set(RecordWriteKey.objects.filter(node_id="update")
                              .values_list("item_key", flat=True))  # "<deal index>/0"
                for start in step_events(instance, run_id, DagsterEventType.STEP_START):
                    match = re.fullmatch(r"deal\[chunk_(\d+)\]", start.step_key)
                    if not match or start.step_key in done:
                        continue
                    chunk = int(match.group(1))
                    keys = {f"{i}/0" for i in range(chunk * BATCH, (chunk + 1) * BATCH)}
                    if 0 < len(keys & updated) < BATCH:
                        victim = (start.step_key, start.dagster_event.pid, chunk)
                        break
                time.sleep(0.2)
            step_key, pid, chunk = victim
            worker = celery_workers.owner_of(pid)
            assert worker is not None, f"step {step_key} ran in pid {pid}, not in our workers"
            kill(worker, pid)
            chunk_deals = deals[chunk * BATCH:(chunk + 1) * BATCH]
            at_kill = {d: Record.objects.get(pk=d).data.get("token") for d in chunk_deals}
            updated_at_kill = {d: token for d, token in at_kill.items() if token is not None}
            assert 0 < len(updated_at_kill) < BATCH, f"not mid-chunk: {at_kill}"

            # 2. The platform recovers by itself: drive the daemons until the execution ends.
            deadline = time.monotonic() + 600
            while True:
                daemons_tick()
                execution.refresh_from_db()
                if execution.status in ("success", "canceled") or (
                    execution.status == "failed"  # and Dagster will not retry its run
                    and instance.get_run_by_id(execution.dagster_run_id).tags.get(
                        "dagster/will_retry") == "false"
                ):
                    break
                assert time.monotonic() < deadline, f"execution still {execution.status}"
                time.sleep(1)
        finally:
            for run in instance.get_runs():
                if run.status in ACTIVE - {DagsterRunStatus.QUEUED}:
                    instance.run_launcher.terminate(run.run_id)
                elif run.status == DagsterRunStatus.QUEUED:
                    instance.report_run_canceled(run)

    runs = sorted(instance.get_runs(), key=lambda run: run.tags.get("dagster/retry_number", "0"))
    starts = {run.run_id: [e.dagster_event.pid for e in step_events(
        instance, run.run_id, DagsterEventType.STEP_START) if e.step_key == step_key]
        for run in runs}
    return {"execution": execution, "run_id": run_id, "runs": runs, "starts": starts,
            "pid": pid, "worker": worker, "deals": deals, "updated_at_kill": updated_at_kill}


def assert_each_deal_updated_once(found: dict, slow_server: SlowServer) -> None:
    """The re-run chunk called the server again for the deals it had already updated, but wrote
    nothing twice: they keep the token they had when the worker died; every deal has one write
    key and one update event."""
    assert found["execution"].status == "success", found["execution"].error_message
    for deal, token in found["updated_at_kill"].items():
        assert len(slow_server.served(deal)) >= 2, deal
        assert Record.objects.get(pk=deal).data["token"] == token, deal
    assert RecordWriteKey.objects.filter(node_id="update").count() == DEALS
    for deal in found["deals"]:
        record = Record.objects.get(pk=deal)
        assert record.data["token"] in slow_server.served(deal), deal
        events = RecordEvent.objects.filter(record_id=deal, kind=RecordEventKind.UPDATED)
        assert events.count() == 1, deal


@pytest.mark.parametrize("celery_workers", ["redis"], indirect=True)
def test_a_worker_killed_mid_chunk_loses_nothing_and_writes_once(
    tenant, postgres_dagster_home, celery_workers, slow_server, monkeypatch
):  # fmt: skip
    """The whole worker dies (main process and pool): its step's message was never
    acknowledged, so Redis hands it to the other worker after the visibility timeout."""
    monkeypatch.setenv("AUTOMATION_RUN_NOW", "queue")
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", str(VISIBILITY_S))
    found = crash_mid_chunk(tenant, celery_workers, slow_server,
                            kill=lambda worker, pid: celery_workers.crash(worker))

    assert_each_deal_updated_once(found, slow_server)
    # No run failed: the killed chunk ran again in the same run, on the surviving worker (the
    # run-retry daemon had nothing to retry).
    [run] = found["runs"]
    assert (run.run_id, run.status) == (found["run_id"], DagsterRunStatus.SUCCESS)
    pids = found["starts"][run.run_id]
    assert len(pids) >= 2 and pids[0] == found["pid"]
    assert celery_workers.owner_of(pids[-1]) not in (None, found["worker"])


@pytest.mark.parametrize("celery_workers", ["redis"], indirect=True)
def test_a_pool_process_killed_mid_chunk_fails_the_run_and_the_retry_completes_it(
    tenant, postgres_dagster_home, celery_workers, slow_server, monkeypatch
):  # fmt: skip
    """Only the pool process running the step dies (as under the OOM killer): the worker
    reports the step failed (WorkerLostError; not requeued, so a step that always kills its
    process cannot loop), the run fails, and Dagster's run retry re-executes it from failure:
    the killed chunk and what follows, not the chunks that had succeeded."""
    monkeypatch.setenv("AUTOMATION_RUN_NOW", "queue")
    found = crash_mid_chunk(tenant, celery_workers, slow_server,
                            kill=lambda worker, pid: os.kill(pid, signal.SIGKILL))

    assert_each_deal_updated_once(found, slow_server)
    first, retry = found["runs"]
    assert first.run_id == found["run_id"] and first.status == DagsterRunStatus.FAILURE
    assert retry.status == DagsterRunStatus.SUCCESS
    assert retry.parent_run_id == first.run_id and retry.tags["dagster/retry_number"] == "1"
    assert found["starts"][first.run_id] == [found["pid"]]
    assert len(found["starts"][retry.run_id]) == 1
    assert found["execution"].dagster_run_id == retry.run_id
