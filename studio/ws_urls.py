from django.urls import path

from apps.render.consumers import ProjectEventsConsumer
from apps.review.consumers import ReviewConsumer
from apps.review.guest_consumer import GuestReviewConsumer
from apps.tenancy.consumers import OrganizationEventsConsumer

websocket_urlpatterns = [
    path("ws/orgs/<slug:org>/", OrganizationEventsConsumer.as_asgi()),
    path("ws/review/<int:session_id>/", ReviewConsumer.as_asgi()),
    path("ws/guest/<str:token>/", GuestReviewConsumer.as_asgi()),
    path("ws/projects/<int:project_id>/", ProjectEventsConsumer.as_asgi()),
]
