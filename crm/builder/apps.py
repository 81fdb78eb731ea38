from django.apps import AppConfig


class BuilderConfig(AppConfig):
    name = "crm.builder"
    label = "builder"
    verbose_name = "Workflow builder"
