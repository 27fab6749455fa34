from django.urls import path

from apps.render import views

urlpatterns = [
    path("<slug:org>/projects/<int:project_id>/jobs/", views.jobs_page, name="render-jobs-page"),
    path(
        "<slug:org>/projects/<int:project_id>/jobs/new/",
        views.job_new_page,
        name="render-job-new",
    ),
    path(
        "<slug:org>/projects/<int:project_id>/consents/",
        views.consents_page,
        name="render-consents-page",
    ),
    path(
        "<slug:org>/projects/<int:project_id>/consents/<int:consent_id>/revoke/",
        views.consent_revoke,
        name="render-consent-revoke",
    ),
    path("<slug:org>/jobs/<int:job_id>/", views.job_page, name="render-job-page"),
    path(
        "<slug:org>/jobs/<int:job_id>/consistency/",
        views.consistency_report_page,
        name="render-consistency-report",
    ),
    path(
        "<slug:org>/jobs/<int:job_id>/provenance.json",
        views.job_provenance_json,
        name="render-job-provenance-json",
    ),
    path("<slug:org>/jobs/<int:job_id>/<str:verb>/", views.job_action, name="render-job-action"),
    path(
        "<slug:org>/versions/<int:version_id>/provenance/",
        views.version_provenance_page,
        name="render-version-provenance",
    ),
]
