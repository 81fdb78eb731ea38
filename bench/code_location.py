"""The code location at 1,000 published workflows of 10 nodes across 50 tenants.

Usage: .venv/bin/python bench/code_location.py [--workflows 1000] [--tenants 50]
Figures (bench/results/code_location.json):
  workflows, load_s (gRPC code server start until its repository snapshot is served),
  raw_dagster_build_s (the same 1,000 ten-op jobs built with plain Dagster in this process),
  factory_build_s (our graph factory building them from the database in this process),
  publish_to_runnable_s (publish one more workflow through the API until a run of it is
  launched, via the API's run-now path; target <= 10), publish_to_finished_s,
  code_location_reload_s (a code server reload that serves the new job to the Dagster UI),
  run_worker_build_s (a run worker reconstructing the definitions it needs; target <= 1).
"""

from __future__ import annotations

import argparse
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
    tenant_with_token,
    write_results,
)
from bench.manual_run import wait_for_end  # noqa: E402


def ten_node_workflow(index: int) -> dict:
    def node(node_id: str, node_type: str, config: dict) -> dict:
        return {
            "id": node_id,
            "type": node_type,
            "position": {"x": 0, "y": 0},
            "data": {"label": f"{node_id} {index}", "config": config},
        }

    role = {"assign_to_role": "editor"}
    nodes = [
        node("start", "trigger", {"sample_payload": {"min": index}}),
        node("find", "record_find", {"pipeline": "deals", "limit": 5}),
        node(
            "check",
            "condition",
            {"rules": [{"left": "{{ nodes.find.count }}", "operator": ">", "right": 0}]},
        ),
        node("create", "record_create", {"pipeline": "deals", "data": {"n": index}}),
        node("tell_yes", "task_notify", {"title": "yes {{ trigger.min }}", **role}),
        node("tell_no", "task_notify", {"title": "no {{ trigger.min }}", **role}),
        node("merge", "task_notify", {"title": "merged", **role}),
        node("pause", "wait_delay", {"seconds": 0}),
        node("again", "record_find", {"pipeline": "deals", "limit": 1}),
        node("done", "task_notify", {"title": "done {{ nodes.again.count }}", **role}),
    ]
    pairs = [
        ("start", "find", None),
        ("find", "check", None),
        ("check", "create", "true"),
        ("create", "tell_yes", None),
        ("check", "tell_no", "false"),
        ("tell_yes", "merge", None),
        ("tell_no", "merge", None),
        ("merge", "pause", None),
        ("pause", "again", None),
        ("again", "done", None),
    ]
    edges = [
        {"id": f"e{i}", "source": s, "target": t, **({"sourceHandle": h} if h else {})}
        for i, (s, t, h) in enumerate(pairs)
    ]
    return {"nodes": nodes, "edges": edges}


def publish_many(workflows: int, tenants: int) -> None:
    from crm.records.models import Pipeline
    from crm.tenants.models import Tenant
    from crm.workflows.services import workflow_create, workflow_publish

    slugs = [f"t{index:02d}" for index in range(tenants)]
    for slug in slugs:
        tenant, _ = Tenant.objects.get_or_create(slug=slug, defaults={"name": slug})
        Pipeline.objects.get_or_create(tenant=tenant, slug="deals", defaults={"name": "Deals"})
    by_slug = {tenant.slug: tenant for tenant in Tenant.objects.filter(slug__in=slugs)}
    for index in range(workflows):
        tenant = by_slug[slugs[index % tenants]]
        workflow = workflow_create(
            tenant=tenant, name=f"Workflow {index}", definition=ten_node_workflow(index)
        )
        workflow_publish(workflow=workflow)


def raw_dagster_build(workflows: int) -> float:
    """The same shape built with plain Dagster: ten distinct ops per job, a chain."""
    from dagster import DependencyDefinition, GraphDefinition, In, Out, op

    start = time.perf_counter()
    for index in range(workflows):
        ops = []
        for step in range(10):
            ins = {"upstream": In(dict)} if step else {}

            @op(name=f"raw_{index}_{step}", ins=ins, out=Out(dict))
            def _step(context, **kwargs):
                return {}

            ops.append(_step)
        deps = {
            ops[step].name: {"upstream": DependencyDefinition(ops[step - 1].name)}
            for step in range(1, 10)
        }
        GraphDefinition(name=f"raw_{index}", node_defs=ops, dependencies=deps).to_job()
    return time.perf_counter() - start


def code_server_load(env: BenchEnv, expect_job: str) -> float:
    """Start a gRPC code server; seconds until it serves a snapshot containing `expect_job`."""
    from dagster._core.remote_origin import GrpcServerCodeLocationOrigin

    from automation.instance import get_instance

    port = free_port()
    start = time.perf_counter()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "dagster"),
            "api",
            "grpc",
            "-m",
            "automation.definitions",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=open(env.dir / "grpc.log", "a"),  # noqa: SIM115
    )
    try:
        origin = GrpcServerCodeLocationOrigin(
            host="127.0.0.1", port=port, location_name="automation"
        )
        while True:
            try:
                location = origin.create_location(get_instance())
                break
            except Exception:
                if time.perf_counter() - start > 600 or server.poll() is not None:
                    raise
                time.sleep(0.25)
        repository = location.get_repository("__repository__")
        if not repository.has_job(expect_job):
            raise RuntimeError(f"{expect_job} missing from the code location")
        elapsed = time.perf_counter() - start
        location.cleanup()
        return elapsed
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_worker_build() -> float:
    """Seconds a run worker spends reconstructing the definitions and its one job."""
    from dagster._core.code_pointer import CodePointer
    from dagster._core.definitions.reconstruct import (
        initialize_repository_def_from_pointer,
        reconstruct_repository_def_from_pointer,
    )

    from automation import workflow_jobs

    pointer = CodePointer.from_module("automation.definitions", "defs", working_directory=None)
    served = initialize_repository_def_from_pointer(pointer)
    workflow_jobs.job_for_version_id.cache_clear()
    start = time.perf_counter()
    rebuilt = reconstruct_repository_def_from_pointer(pointer, served.repository_load_data)
    rebuilt.get_job("t07__workflow_7")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workflows", type=int, default=1000)
    parser.add_argument("--tenants", type=int, default=50)
    args = parser.parse_args()

    env = BenchEnv("code-location")
    try:
        print(f"publishing {args.workflows} workflows across {args.tenants} tenants ...")
        publish_many(args.workflows, args.tenants)
        from automation.workflow_jobs import build_jobs
        from crm.workflows.selectors import workflow_versions_to_serve

        start = time.perf_counter()
        built = build_jobs(workflow_versions_to_serve())
        factory_build_s = time.perf_counter() - start
        assert len(built.jobs) == args.workflows, built.skipped
        raw_s = raw_dagster_build(args.workflows)
        worker_s = run_worker_build()
        load_s = code_server_load(env, "t00__workflow_0")

        _tenant, key = tenant_with_token("t00", "admin")
        base = env.start_crm()
        api = httpx.Client(
            base_url=f"{base}/api", headers={"Authorization": f"Bearer {key}"}, timeout=120
        )
        api.get("/catalogue").raise_for_status()  # warm the server's imports
        start = time.perf_counter()
        created = api.post(
            "/workflows", json={"name": "Fresh one", "definition": ten_node_workflow(9999)}
        )
        created.raise_for_status()
        workflow_id = created.json()["id"]
        api.post(f"/workflows/{workflow_id}/publish", json={}).raise_for_status()
        launched = api.post(f"/workflows/{workflow_id}/run", json={"payload": {"min": 1}})
        launched.raise_for_status()
        execution_id = launched.json()["execution_id"]
        while not api.get(f"/executions/{execution_id}").json().get("dagster_run_id"):
            time.sleep(0.02)
        publish_to_runnable_s = time.perf_counter() - start
        detail = wait_for_end(api, execution_id)
        publish_to_finished_s = time.perf_counter() - start
        if detail["status"] != "success":
            raise SystemExit(f"the fresh workflow's run ended {detail['status']}")
        reload_s = code_server_load(env, "t00__fresh_one")

        write_results(
            "code_location",
            {
                "workflows": args.workflows,
                "tenants": args.tenants,
                "nodes_per_workflow": 10,
                "load_s": round(load_s, 2),
                "raw_dagster_build_s": round(raw_s, 2),
                "factory_build_s": round(factory_build_s, 2),
                "publish_to_runnable_s": round(publish_to_runnable_s, 3),
                "publish_to_finished_s": round(publish_to_finished_s, 3),
                "code_location_reload_s": round(reload_s, 2),
                "run_worker_build_s": round(worker_s, 3),
            },
        )
    finally:
        env.close()


if __name__ == "__main__":
    main()
