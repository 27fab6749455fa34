from django.urls import path

from apps.review import views

urlpatterns = [
    path("review/<slug:org>/", views.sessions_page, name="review-sessions"),
    path("review/<slug:org>/<int:session_id>/", views.room_page, name="review-room"),
]
