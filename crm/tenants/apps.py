from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "crm.tenants"
    label = "tenants"
