from typing import Any

from django.core.management.base import BaseCommand

from apps.beta.demo import seed_beta
from apps.core.request_context import request_context


class Command(BaseCommand):
    help = "Publish the demo NDA, create the first cohort and beta profiles of the partners."

    def handle(self, *args: Any, **options: Any) -> None:
        with request_context(source="cli"):
            seed_beta(log=lambda line: self.stdout.write(line))
        self.stdout.write(
            self.style.SUCCESS("beta program ready (demo users accept the NDA first)")
        )
