"""Moving from the embedded default to PostgreSQL keeps everything: `crm_move_data` copies
tenants, users, records, workflows and their versions into an empty PostgreSQL database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.core.management import call_command

from crm.records.models import Record
from crm.workflows.models import Workflow, WorkflowVersion

from .conftest import require

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def move(url: str) -> subprocess.CompletedProcess:
    """`manage.py crm_move_data --to URL`, as an operator runs it."""
    return subprocess.run(
        [sys.executable, "manage.py", "crm_move_data", "--to", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "crm.settings.test"},
        timeout=300,
    )


@pytest.fixture
def empty_postgres():
    require(5432, "PostgreSQL")
    name = f"crm_move_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    yield name
    admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_workflows_versions_and_records_survive_the_move(empty_postgres):
    call_command("seed_demo", verbosity=0)
    done = move(f"postgresql://postgres@127.0.0.1:5432/{empty_postgres}")
    assert done.returncode == 0, done.stderr
    target = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=empty_postgres)
    with target, target.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM records_record")
        assert cursor.fetchone()[0] == Record.objects.count() == 1050
        cursor.execute(
            "SELECT w.name, v.number, v.definition::text FROM workflows_workflowversion v "
            "JOIN workflows_workflow w ON w.id = v.workflow_id ORDER BY w.name, v.number"
        )
        moved = [(name, number, definition) for name, number, definition in cursor.fetchall()]
    target.close()
    expected = sorted(
        (v.workflow.name, v.number, v.definition)
        for v in WorkflowVersion.objects.select_related("workflow")
    )
    assert [(n, num, json.loads(d)) for n, num, d in moved] == expected
    assert len(moved) == Workflow.objects.count() >= 4


def test_refuses_a_target_that_already_holds_data(empty_postgres):
    url = f"postgresql://postgres@127.0.0.1:5432/{empty_postgres}"
    call_command("seed_demo", verbosity=0)
    assert move(url).returncode == 0
    again = move(url)
    assert again.returncode != 0
    assert "already holds tenants" in again.stderr
