from django.apps import AppConfig


class RenderConfig(AppConfig):
    name = "apps.render"
    label = "render"
    verbose_name = "Render jobs"
