"""Dagster resources over the CRM: records, HTTP, notifications, secrets, executions."""
