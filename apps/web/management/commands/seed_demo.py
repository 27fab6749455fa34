from typing import Any

from django.core.management.base import BaseCommand

from apps.core.request_context import request_context
from apps.web.demo import DEMO_PASSWORD, DEMO_REVIEWER_TOTP_SECRET, seed_demo


class Command(BaseCommand):
    help = "Create the demo studio, the demo partner with its team and a generated project."

    def handle(self, *args: Any, **options: Any) -> None:
        with request_context(source="cli"):
            result = seed_demo(log=lambda line: self.stdout.write(line))
        verb = "created" if result.created else "kept"
        self.stdout.write(self.style.SUCCESS(f"demo data {verb}"))
        self.stdout.write(f"  partner login: {result.producer.email} / {DEMO_PASSWORD}")
        self.stdout.write(
            f"  staff login:   {result.staff.email} / {DEMO_PASSWORD} (asks to set up two-factor)"
        )
        if result.reviewer is not None:
            self.stdout.write(
                f"  reviewer login: {result.reviewer.email} / {DEMO_PASSWORD}"
                f" (studio reviewer; two-factor TOTP secret {DEMO_REVIEWER_TOTP_SECRET})"
            )
