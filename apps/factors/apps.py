from django.apps import AppConfig


class FactorsConfig(AppConfig):
    name = "apps.factors"
    label = "factors"
