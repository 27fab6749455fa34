from django.urls import path

from apps.notifications import outbox, views

urlpatterns = [
    path("inbox/", views.inbox_page, name="inbox-page"),
    path("inbox/read/", views.inbox_mark_read, name="inbox-mark-read"),
    path("inbox/<int:item_id>/", views.inbox_item_open, name="inbox-item-open"),
    path("settings/inbox/", views.inbox_settings_page, name="inbox-settings"),
    path("staff/outbox/", outbox.outbox_page, name="staff-outbox"),
    path("staff/outbox/<str:name>/", outbox.outbox_message_page, name="staff-outbox-message"),
]
