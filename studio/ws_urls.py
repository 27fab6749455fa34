from django.urls import path

from apps.tenancy.consumers import OrganizationEventsConsumer

websocket_urlpatterns = [
    path("ws/orgs/<slug:org>/", OrganizationEventsConsumer.as_asgi()),
]
