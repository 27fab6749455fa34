from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self) -> None:
        # Receivers and the socket rule; the rule's imports need the app registry.
        from apps.accounts import schema, signals, socket_access  # noqa: F401

        socket_access.register()
