from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "crm.workflows"
    label = "workflows"
