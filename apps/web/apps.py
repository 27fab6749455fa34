from django.apps import AppConfig


class WebConfig(AppConfig):
    """The top floor: pages and commands that span apps (dashboard, staff console, error
    pages, health probes, demo data). Nothing below imports it."""

    name = "apps.web"
    label = "web"
