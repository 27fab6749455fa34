from django.urls import path

from apps.web import character_pages, health, links, production_pages, views

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("staff/", views.staff_console, name="staff-console"),
    path(
        "projects/<slug:org>/<int:project_id>/",
        production_pages.project_page,
        name="project-page",
    ),
    path(
        "projects/<slug:org>/<int:project_id>/shots/<int:shot_id>/",
        production_pages.shot_page,
        name="shot-page",
    ),
    path(
        "projects/<slug:org>/<int:project_id>/versions/<int:version_id>/",
        production_pages.version_page,
        name="version-page",
    ),
    path(
        "projects/<slug:org>/<int:project_id>/characters/",
        character_pages.characters_page,
        name="characters-page",
    ),
    path(
        "projects/<slug:org>/<int:project_id>/characters/<int:character_id>/",
        character_pages.character_page,
        name="character-page",
    ),
    path(
        "projects/<slug:org>/<int:project_id>/characters/<int:character_id>/stills/<int:media_id>/remove/",
        character_pages.character_still_remove,
        name="character-still-remove",
    ),
    path("r/<str:public_id>/", links.public_link, name="public-link"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
]
