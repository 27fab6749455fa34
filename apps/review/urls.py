from django.urls import path

from apps.review import guest_views, session_pages, views

urlpatterns = [
    path("review/<slug:org>/", views.sessions_page, name="review-sessions"),
    path("review/<slug:org>/new/", session_pages.new_session_page, name="review-session-new"),
    path("review/<slug:org>/add/", session_pages.add_to_session, name="review-session-add"),
    path("review/<slug:org>/<int:session_id>/", views.room_page, name="review-room"),
    path("review/<slug:org>/guest-links/", guest_views.guest_links_dialog, name="guest-links"),
    path(
        "review/<slug:org>/guest-links/<int:link_id>/revoke/",
        guest_views.guest_link_revoke,
        name="guest-link-revoke",
    ),
    path("g/<str:token>/", guest_views.guest_page, name="guest-page"),
    path("g/<str:token>/notes/", guest_views.guest_note, name="guest-note"),
    path("g/<str:token>/media/<int:media_id>/", guest_views.guest_media, name="guest-media"),
    path(
        "review/<slug:org>/<int:session_id>/manage/",
        session_pages.manage_page,
        name="review-session-manage",
    ),
]
