from django.urls import path

from apps.accounts import views

urlpatterns = [
    path("settings/tokens/", views.api_tokens_page, name="api-tokens-page"),
    # Before allauth's own route (studio/urls.py includes this module first).
    path("accounts/password/reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("accounts/email/", views.VerifiedEmailView.as_view(), name="verified-email"),
]
