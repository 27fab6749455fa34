from django.urls import path

from apps.production import views

urlpatterns = [
    path("projects/<slug:org>/", views.project_list, name="project-list-page"),
    path(
        "projects/<slug:org>/<int:project_id>/settings/",
        views.project_settings,
        name="project-settings",
    ),
    path(
        "projects/<slug:org>/<int:project_id>/shots/add/",
        views.shots_add_page,
        name="project-shots-add",
    ),
]
