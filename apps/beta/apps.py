from django.apps import AppConfig


class BetaConfig(AppConfig):
    name = "apps.beta"
    label = "beta"

    def ready(self) -> None:
        from apps.beta import socket_access  # models load only once the registry is ready

        socket_access.register()
