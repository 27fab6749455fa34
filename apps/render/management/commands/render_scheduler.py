"""The render scheduler loop: heartbeat monitor and dispatcher (safe in several processes)."""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from apps.core.request_context import request_context
from apps.render import conf
from apps.render.scheduler import scheduler_tick

logger = logging.getLogger("apps.render.scheduler")


class Command(BaseCommand):
    help = "Run the render dispatcher and lost-worker monitor in a loop."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=None)
        parser.add_argument("--once", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        interval = options["interval"] or conf.scheduler_interval()
        running = [True]

        def stop(*_: Any) -> None:
            running[0] = False

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while running[0]:
            try:
                close_old_connections()
                with request_context(source="task"):
                    lost, dispatched = scheduler_tick()
                if lost or dispatched:
                    logger.info("scheduler: %s lost, %s dispatched", lost, dispatched)
            except Exception:
                logger.exception("scheduler tick failed")
            if options["once"]:
                break
            time.sleep(interval)
