from django.apps import AppConfig


class TriggersConfig(AppConfig):
    name = "crm.triggers"
    label = "triggers"
    verbose_name = "Triggers"
