from django.urls import path

from apps.interchange import views

urlpatterns = [
    path(
        "projects/<slug:org>/<int:project_id>/editorial/",
        views.editorial_page,
        name="editorial-page",
    ),
    path(
        "projects/<slug:org>/<int:project_id>/editorial/imports/<int:import_id>/",
        views.editorial_import_page,
        name="editorial-import",
    ),
]
