from typing import Any

from django.apps import AppConfig


class ProductionConfig(AppConfig):
    name = "apps.production"
    label = "production"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # Models and the cache exist only once the app registry is ready.
        from apps.production.models import Shot
        from apps.production.read_cache import forget_shot  # (its models: after the registry)

        def forget(sender: Any, instance: Shot, created: bool = False, **kwargs: Any) -> None:
            if not created:  # a new shot has no cached reads yet
                forget_shot(instance.pk)

        post_save.connect(forget, sender=Shot, weak=False, dispatch_uid="backlot_shot_cache")
        post_delete.connect(
            forget, sender=Shot, weak=False, dispatch_uid="backlot_shot_cache_delete"
        )
