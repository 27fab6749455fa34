"""The platform's Celery app (CPU pool and platform tasks). GPU workers have their own
app in gpu_workers/ that needs no Django."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

app = Celery("backlot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
