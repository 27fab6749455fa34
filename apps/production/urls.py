from django.urls import path

from apps.production import views

urlpatterns = [
    path("projects/<slug:org>/", views.project_list, name="project-list-page"),
]
