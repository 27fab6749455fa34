from typing import Any

from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "apps.tenancy"
    label = "tenancy"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        # rls reads the models, which exist only once the app registry is ready.
        from apps.tenancy.rls import apply_row_level_security

        post_migrate.connect(apply_row_level_security, dispatch_uid="backlot_rls")

        from django.db.models.signals import post_delete, post_save

        # The request's memoized memberships (selectors.memberships_of_user) must not
        # outlive a change made in the same request.
        from apps.tenancy.models import Membership  # models exist once the registry is ready
        from apps.tenancy.selectors import forget_memberships  # (it imports the models)

        def forget(sender: Any, instance: Membership, **kwargs: Any) -> None:
            forget_memberships(instance.user_id)

        # weak=False: `forget` is local to this method.
        post_save.connect(
            forget, sender=Membership, weak=False, dispatch_uid="backlot_memberships_memo"
        )
        post_delete.connect(
            forget, sender=Membership, weak=False, dispatch_uid="backlot_memberships_memo_d"
        )
