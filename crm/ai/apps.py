from django.apps import AppConfig


class AIConfig(AppConfig):
    name = "crm.ai"
    label = "ai"
    verbose_name = "AI usage"
