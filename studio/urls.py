from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.accounts import views as account_views
from apps.assist import views as assist_views
from apps.core import health
from apps.core import views as core_views
from apps.interchange import views as interchange_views
from apps.production import views as production_views
from apps.review import views as review_views

# The Django admin uses the same login (and two-factor) as the rest of Backlot.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "Backlot administration"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("dashboard/", core_views.dashboard, name="dashboard"),
    path("projects/<slug:org>/", production_views.project_list, name="project-list-page"),
    path(
        "projects/<slug:org>/<int:project_id>/",
        production_views.project_page,
        name="project-page",
    ),
    path(
        "projects/<slug:org>/<int:project_id>/shots/<int:shot_id>/",
        production_views.shot_page,
        name="shot-page",
    ),
    path(
        "projects/<slug:org>/<int:project_id>/versions/<int:version_id>/",
        production_views.version_page,
        name="version-page",
    ),
    path(
        "media/<slug:org>/<int:media_id>/<str:purpose>/",
        production_views.media_link,
        name="media-link-page",
    ),
    path("staff/", core_views.staff_console, name="staff-console"),
    path("review/<slug:org>/", review_views.sessions_page, name="review-sessions"),
    path("review/<slug:org>/<int:session_id>/", review_views.room_page, name="review-room"),
    path("render/", include("apps.render.urls")),
    path("", include("apps.beta.urls")),
    path(
        "projects/<slug:org>/<int:project_id>/assistant/",
        assist_views.assist_page,
        name="assist-page",
    ),
    path(
        "projects/<slug:org>/<int:project_id>/editorial/",
        interchange_views.editorial_page,
        name="editorial-page",
    ),
    path(
        "projects/<slug:org>/<int:project_id>/editorial/imports/<int:import_id>/",
        interchange_views.editorial_import_page,
        name="editorial-import",
    ),
    path("settings/tokens/", account_views.api_tokens_page, name="api-tokens-page"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("studio.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
]

handler400 = "apps.core.views.bad_request"
handler403 = "apps.core.views.permission_denied"
handler404 = "apps.core.views.page_not_found"
handler500 = "apps.core.views.server_error"
