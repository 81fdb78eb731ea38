"""What the record-event and webhook sensors share: one tick = ingest, plan, request, cursor.

Cursor (JSON): `after` = the last event id read, `gaps` = lower ids not yet seen (a transaction
that took its id earlier but committed later, as PostgreSQL allows) watched for GAP_TTL_S, and
`batch` = the last TriggerBatch whose run was requested by a tick whose cursor was committed.
The first tick only notes where the events end: events from before the sensor ever ran start
nothing. A tick first requests again the batches after `batch` (a tick that crashed before its
cursor was saved: same run keys, so the daemon starts nothing twice), then plans new ones; the
cursor moves last, in the SensorResult. Work per tick is bounded (events read, runs asked).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import dagster as dg

from crm.django_setup import setup_django

MAX_EVENTS_PER_TICK = 5000
MAX_RUNS_PER_TICK = 25  # ~0.2 s of daemon time per new run request
GAP_TTL_S = 120.0
MAX_GAPS = 1000
# A version published this recently may not be loaded by the code location yet: wait for it.
RELOAD_GRACE = timedelta(seconds=90)
SOURCE_TAG = "crm/source"
BATCH_TAG = "crm/trigger_batch"
EVENTS_TAG = "crm/trigger_events"


def items_supported() -> bool:
    """Whether compiled jobs take {"items": [...]} (one run, every event an item)."""
    from automation.graph_factory import compile as compile_module

    return bool(getattr(compile_module, "SUPPORTS_ITEMS", False))


@dataclass
class Cursor:
    after: int = 0
    gaps: dict[str, float] = field(default_factory=dict)  # event id -> first seen missing
    batch: int = 0

    @classmethod
    def parse(cls, raw: str | None) -> Cursor:
        if not raw:
            return cls()
        data = json.loads(raw)
        return cls(
            after=data.get("after", 0), gaps=data.get("gaps", {}), batch=data.get("batch", 0)
        )

    def dump(self) -> str:
        return json.dumps({"after": self.after, "gaps": self.gaps, "batch": self.batch})

    def advanced(self, seen_ids: list[int], now: float) -> Cursor:
        """The cursor after reading `seen_ids` (ids above `after`, or former gaps)."""
        seen = set(seen_ids)
        after = max([self.after, *seen_ids])
        gaps = {
            key: first
            for key, first in self.gaps.items()
            if int(key) not in seen and now - first < GAP_TTL_S
        }
        first = self.after + 1 if self.after else after  # no gaps before the first read
        for missing in range(first, after):
            if missing not in seen and len(gaps) < MAX_GAPS:
                gaps.setdefault(str(missing), now)
        return Cursor(after=after, gaps=gaps, batch=self.batch)


@dataclass
class Source:
    """One kind of trigger event: how to read and match it and how to build its payloads."""

    name: str  # TriggerSource value: record | webhook
    execution_source: str  # the execution's `source` (crm/source tag)
    trigger_types: list[str]
    # (cursor, targets) -> (ids read, [(workflow id, tenant id, event id) matched])
    ingest: Callable[[Cursor, dict], tuple[list[int], list[tuple[Any, int, int]]]]
    payloads: Callable[[list[int]], dict[int, dict[str, Any]]]
    latest_id: Callable[[], int]  # where a sensor that never ran starts: after the last event


def job_lookup(repository_def, now, allowed: frozenset[str] | None = None):
    """target -> LoadedJob, or why its events must wait (the job is not loaded yet, or is not
    yet among the sensor's targets: both change only when the code location reloads)."""
    from automation.graph_factory.naming import job_name
    from crm.triggers.deliveries import LoadedJob

    def job_for(target):
        workflow, version = target.workflow, target.version
        name = job_name(workflow.tenant.slug, workflow.name)
        if repository_def is None:  # evaluated outside a code location (tests, tools)
            return LoadedJob(name, version.pk)
        if not repository_def.has_job(name) or (allowed is not None and name not in allowed):
            return f"waiting for the code location to load job {name}"
        loaded = int(repository_def.get_job(name).tags.get("workflow_version_id") or 0)
        if loaded != version.pk and now - version.published_at < RELOAD_GRACE:
            return f"waiting for the code location to load version {version.number} of {name}"
        return LoadedJob(name, loaded or version.pk)

    return job_for


# A run in the queue waits for a slot (its tenant's or the global limit); one that is
# launching (NOT_STARTED/STARTING) does not hold the next batch back.
WAITING_STATUSES = [dg.DagsterRunStatus.QUEUED]


def runs_waiting(source: Source, instance):
    """target -> how many of its workflow's runs from this source wait in the run queue
    (batching backpressure: see crm.triggers.deliveries.plan_batches)."""

    def waiting(target) -> int:
        tags = {SOURCE_TAG: source.execution_source, "workflow_id": str(target.workflow.pk)}
        return instance.get_runs_count(dg.RunsFilter(statuses=WAITING_STATUSES, tags=tags))

    return waiting


def run_request(source: Source, batch) -> dg.RunRequest | None:
    """The run of a batch: its events as the trigger's payload (one) or items (several)."""
    from automation.graph_factory.compile import trigger_op_name
    from automation.workflow_jobs import graph_for_version_id
    from crm.triggers.deliveries import batch_event_ids

    ids = batch_event_ids(batch)
    found = source.payloads(ids)
    payloads = [found[event_id] for event_id in ids if event_id in found]
    if not payloads:
        return None
    config = {"items": payloads} if len(payloads) > 1 else {"payload": payloads[0]}
    op = trigger_op_name(graph_for_version_id(batch.version_id))
    return dg.RunRequest(
        run_key=batch.run_key,
        job_name=batch.job_name,
        run_config={"ops": {op: {"config": config}}},
        tags={
            "tenant": batch.tenant.slug,
            "workflow_id": str(batch.workflow_id),
            SOURCE_TAG: source.execution_source,
            BATCH_TAG: str(batch.pk),
            EVENTS_TAG: str(len(payloads)),
        },
    )


def evaluate(
    source: Source,
    cursor: str | None,
    repository_def=None,
    allowed: frozenset[str] | None = None,
    instance=None,
) -> dg.SensorResult:
    """One tick of a trigger sensor (see the module docstring). `allowed`: the job names the
    sensor targets (the daemon refuses a run request for any other job); a batch for another
    job is held, and requested again once a reload made its job a target. `instance`: the
    Dagster instance (the sensor's; default this process's), asked for runs waiting to start."""
    setup_django()
    from django.utils import timezone

    from crm.triggers.deliveries import batches_after, deliveries_record, plan_batches
    from crm.triggers.selectors import trigger_targets

    if not cursor:
        start = Cursor(after=source.latest_id())
        return dg.SensorResult(
            skip_reason=dg.SkipReason(f"watching {source.name} events after id {start.after}"),
            cursor=start.dump(),
        )
    state = Cursor.parse(cursor)
    now = timezone.now()
    targets = trigger_targets(trigger_types=source.trigger_types)
    read, matches = source.ingest(state, targets)
    deliveries_record(source=source.name, matches=matches)
    batches = batches_after(source=source.name, batch_id=state.batch, limit=MAX_RUNS_PER_TICK)
    replayed = len(batches)
    plan = None
    if replayed < MAX_RUNS_PER_TICK:
        plan = plan_batches(
            source=source.name,
            targets=targets,
            job_for=job_lookup(repository_def, now, allowed),
            supports_items=items_supported(),
            now=now,
            max_runs=MAX_RUNS_PER_TICK - replayed,
            runs_waiting=runs_waiting(source, instance or _default_instance()),
        )
        batches += plan.batches
    held = [b for b in batches if allowed is not None and b.job_name not in allowed]
    ready = [b for b in batches if b not in held]
    requests = [r for r in (run_request(source, b) for b in ready) if r is not None]
    new = state.advanced(read, time.time())
    new.batch = max([state.batch, *(b.pk for b in batches)])
    if held:  # replayed from here on until their job is a target (requested ones dedupe)
        new.batch = min(b.pk for b in held) - 1
    if requests:
        return dg.SensorResult(run_requests=requests, cursor=new.dump())
    why = f"read {len(read)} event(s), {len(matches)} matched a trigger; no run to start"
    if plan is not None and plan.deferred:
        why += f"; {plan.deferred} deferred by rate limits"
    if held:
        why += f"; {len(held)} run(s) waiting for the code location to reload"
    if plan is not None and plan.held:
        why += "; waiting: " + "; ".join(sorted(set(plan.held.values()))[:3])
    return dg.SensorResult(skip_reason=dg.SkipReason(why), cursor=new.dump())


def trigger_sensor(source: Source, name: str, description: str, jobs) -> dg.SensorDefinition:
    """A trigger sensor for `source`, targeting the served jobs of workflows with its kind of
    trigger, evaluated on every daemon loop (about every 5 s)."""
    targets = target_jobs(jobs, source.trigger_types)
    allowed = target_names(targets)

    @dg.sensor(
        name=name,
        description=description,
        jobs=targets,
        default_status=dg.DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=1,
    )
    def trigger_sensor_fn(context: dg.SensorEvaluationContext):
        return evaluate(source, context.cursor, context.repository_def, allowed, context.instance)

    return trigger_sensor_fn


def _default_instance():
    from automation.instance import get_instance

    return get_instance()


def target_names(targets: list) -> frozenset[str]:
    """The names of a sensor's target jobs (see `evaluate`'s `allowed`)."""
    return frozenset(job.name for job in targets)


def target_jobs(jobs, trigger_types: list[str]) -> list:
    """The workflow jobs a trigger sensor may start (a sensor must name its target jobs; the
    daemon refuses a request for any other). `jobs` maps job names to jobs or, when the code
    location is reconstructed from pinned versions, to lazy builders: only the wanted ones are
    built, so a run worker of a manual workflow builds no trigger workflow's job."""
    from dagster import JobDefinition

    from automation.graph_factory.naming import job_name
    from crm.triggers.selectors import trigger_targets

    wanted = {
        job_name(t.workflow.tenant.slug, t.workflow.name)
        for t in trigger_targets(trigger_types=trigger_types).values()
    }
    found = []
    for name, job in dict(jobs).items():
        if name not in wanted:
            continue
        if not isinstance(job, JobDefinition):
            job = job()  # a lazy job of the repository dict
        found.append(job)
    return found
