"""`automation` CLI: validate prints ok or errors, run prints the execution, bad input exits 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import edge, node

pytestmark = pytest.mark.django_db(transaction=True)

VALID = {
    "nodes": [
        node("t", "trigger", {"sample_payload": {"n": 3}}),
        node(
            "c",
            "condition",
            {"rules": [{"left": "{{ trigger.n }}", "operator": ">", "right": 2}]},
        ),
        node("big", "task_notify", {"title": "n is {{ trigger.n }}", "assign_to_role": "viewer"}),
    ],
    "edges": [edge("t", "c"), edge("c", "big", "true")],
}


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "automation.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.test"},
        timeout=120,
    )


def _write(tmp_path: Path, content) -> str:
    path = tmp_path / "wf.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def test_validate_ok(tmp_path):
    done = _cli("validate", _write(tmp_path, VALID))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_validate_prints_codes_and_exits_1(tmp_path):
    broken = {**VALID, "edges": VALID["edges"] + [edge("big", "t")]}
    done = _cli("validate", _write(tmp_path, broken))
    assert done.returncode == 1
    assert "graph.E013" in done.stdout or "graph.E001" in done.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not JSON"), ("[1, 2]", "not a workflow definition")],
)
def test_bad_files_exit_2_with_one_line(tmp_path, content, message):
    done = _cli("validate", _write(tmp_path, content))
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_missing_file_exits_2(tmp_path):
    done = _cli("run", str(tmp_path / "nope.json"), "--tenant", "acme")
    assert done.returncode == 2
    assert "no such file" in done.stderr


def test_run_unknown_tenant_exits_2(tmp_path, tenant):
    done = _cli("run", _write(tmp_path, VALID), "--tenant", "nobody")
    assert done.returncode == 2
    assert "unknown tenant 'nobody'" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_bad_trigger_json_exits_2(tmp_path, tenant):
    done = _cli("run", _write(tmp_path, VALID), "--tenant", "acme", "--trigger", "{x")
    assert done.returncode == 2
    assert "--trigger is not JSON" in done.stderr


def test_run_prints_execution_json(tmp_path, tenant):
    from crm.workflows.models import Task

    done = _cli("run", _write(tmp_path, VALID), "--tenant", "acme", "--trigger", '{"n": 5}')
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "success"
    assert result["nodes"]["c"]["handle"] == "true"
    assert result["nodes"]["big"]["status"] == "success"
    assert Task.objects.get(tenant=tenant).title == "n is 5"


def test_run_failed_execution_exits_1(tmp_path, tenant):
    definition = {
        "nodes": [node("t", "trigger"), node("f", "record_find", {"pipeline": "missing"})],
        "edges": [edge("t", "f")],
    }
    done = _cli("run", _write(tmp_path, definition), "--tenant", "acme")
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["status"] == "failed"
    assert result["nodes"]["f"]["status"] == "failed"
    assert "missing" in result["nodes"]["f"]["error"]["message"]
