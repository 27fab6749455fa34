from django.urls import path

from apps.accounts import views

urlpatterns = [
    path("settings/tokens/", views.api_tokens_page, name="api-tokens-page"),
]
