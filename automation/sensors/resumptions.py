"""Resume suspended executions: due waits, expired approvals, and decided approvals whose
continuation has not started (the decision's own launcher died or the run had not ended)."""

from __future__ import annotations

import dagster as dg


@dg.sensor(
    name="crm_resumptions",
    description="Starts the continuation runs of suspended executions (approvals, long waits) "
    "once they are decided, expired or due, exactly once each.",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=5,
)
def resumptions(context: dg.SensorEvaluationContext):
    from automation.resume import resume_pass

    done = resume_pass(context.instance)
    summary = ", ".join(f"{len(ids)} {what}" for what, ids in done.items() if ids)
    return dg.SkipReason(f"resumptions: {summary}" if summary else "nothing to resume")


def resumption_sensors() -> list[dg.SensorDefinition]:
    return [resumptions]
