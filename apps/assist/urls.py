from django.urls import path

from apps.assist import views

urlpatterns = [
    path(
        "projects/<slug:org>/<int:project_id>/assistant/",
        views.assist_page,
        name="assist-page",
    ),
    path(
        "projects/<slug:org>/<int:project_id>/assistant/ask/",
        views.assist_ask,
        name="assist-ask",
    ),
]
