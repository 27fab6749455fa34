from django.urls import path

from apps.media import views

urlpatterns = [
    path(
        "media/<slug:org>/<int:media_id>/proxy/retry/",
        views.proxy_retry,
        name="media-proxy-retry",
    ),
    path(
        "media/<slug:org>/<int:media_id>/<str:purpose>/", views.media_link, name="media-link-page"
    ),
]
