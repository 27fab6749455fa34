"""The platform's Django project. The Celery app is loaded with it, so every Django process
(web, tasks, commands) sends tasks through the configured app (`celery.current_app`)."""

from studio.celery import app as celery_app

__all__ = ("celery_app",)
