"""Copy every CRM object (tenants, users, records, workflows, versions, executions, ...) from
this database to another one, e.g. from the embedded SQLite file to PostgreSQL."""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from crm.settings.base import database_from_url

EXCLUDED = ["contenttypes", "auth.permission", "admin.logentry", "sessions"]


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, help="target URL: postgresql://user@host/db")

    def handle(self, *args, **options):
        target = database_from_url(options["to"])
        connections.databases["target"] = {**connections.databases["default"], **target}
        with tempfile.TemporaryDirectory() as folder:
            dump = Path(folder) / "crm.json"
            self.stdout.write("dumping the CRM data ...")
            call_command(
                "dumpdata",
                natural_foreign=True,
                natural_primary=True,
                exclude=EXCLUDED,
                output=str(dump),
                verbosity=0,
            )
            self.stdout.write("creating the tables in the target ...")
            call_command("migrate", database="target", interactive=False, verbosity=0)
            with connections["target"].cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM tenants_tenant")
                if cursor.fetchone()[0]:
                    raise CommandError(
                        "the target database already holds tenants; use an empty one"
                    )
            self.stdout.write("loading ...")
            call_command("loaddata", str(dump), database="target", verbosity=0)
        self.stdout.write(self.style.SUCCESS("done: the target holds a copy of every CRM object"))
