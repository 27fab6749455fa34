from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "apps.tenancy"
    label = "tenancy"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # rls reads the models, which exist only once the app registry is ready.
        from apps.tenancy.rls import apply_row_level_security

        post_migrate.connect(apply_row_level_security, dispatch_uid="backlot_rls")
