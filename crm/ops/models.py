"""The permission that opens the Dagster UI (the model only carries it; its table stays empty)."""

from django.db import models


class DagsterUIAccess(models.Model):
    """Holder of `ops.access_dagster_ui`; grant it to staff users (or a group) in the admin.

    The Dagster UI shows every tenant's runs, so this is a platform-level permission: tenant
    roles (even a tenant's admin) never grant it. Superusers have it implicitly.
    """

    class Meta:
        # Managed (an empty table) so that dumpdata (crm_move_data) and every other tool that
        # walks the models finds a table; no rows are ever written.
        default_permissions = ()
        permissions = [
            ("access_dagster_ui", "Can open the Dagster UI (every tenant's runs)"),
        ]
