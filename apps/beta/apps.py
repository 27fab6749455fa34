from django.apps import AppConfig


class BetaConfig(AppConfig):
    name = "apps.beta"
    label = "beta"
