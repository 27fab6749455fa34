from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core.api.errors import api_route_not_found

# The Django admin uses the same login (and two-factor) as the rest of Backlot.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Backlot administration"

# Each app owns its pages and their URLs (apps/<app>/urls.py).
urlpatterns = [
    path("", include("apps.web.urls")),
    path("", include("apps.production.urls")),
    path("", include("apps.media.urls")),
    path("", include("apps.review.urls")),
    path("render/", include("apps.render.urls")),
    path("", include("apps.beta.urls")),
    path("", include("apps.assist.urls")),
    path("", include("apps.interchange.urls")),
    path("", include("apps.accounts.urls")),
    path("", include("apps.notifications.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("studio.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    re_path(r"^api/", api_route_not_found),
]

handler400 = "apps.web.views.bad_request"
handler403 = "apps.web.views.permission_denied"
handler404 = "apps.web.views.page_not_found"
handler500 = "apps.web.views.server_error"
