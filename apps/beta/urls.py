from django.urls import path

from apps.beta import staff_views, views

urlpatterns = [
    path("beta/invite/<str:token>/", views.invitation_page, name="beta-invitation"),
    path("beta/agreements/", views.agreements_page, name="beta-agreements"),
    path("beta/suspended/", views.suspended_page, name="beta-suspended"),
    path("beta/waitlist/", views.waitlist_page, name="beta-waitlist"),
    path("beta/feedback/", views.feedback_post, name="beta-feedback"),
    path("beta/<slug:org>/team/", views.team_page, name="beta-team"),
    path("staff/beta/", staff_views.staff_beta_page, name="staff-beta"),
    path("staff/beta/report/", staff_views.staff_report_page, name="staff-beta-report"),
    path("staff/beta/report.csv", staff_views.staff_report_csv, name="staff-beta-report-csv"),
    path("staff/beta/feedback/", staff_views.staff_feedback_page, name="staff-beta-feedback"),
    path("staff/beta/feedback.csv", staff_views.staff_feedback_csv, name="staff-beta-feedback-csv"),
]
