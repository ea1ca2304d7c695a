"""Staff pages of citizens' feedback and dossiers, and the service index (under /citizens/).

Codes may contain "/" in dossiers received from other systems, hence <path:code> last."""

from django.urls import path

from . import views

app_name = "citizens"

urlpatterns = [
    path("", views.feedback_inbox, name="feedback_inbox"),
    path("export.xlsx", views.feedback_export, name="feedback_export"),
    path("feedback/<str:code>/", views.feedback_detail, name="feedback_detail"),
    path("feedback-receipt/<str:code>/", views.feedback_receipt, name="feedback_receipt"),
    path("feedback-key/<str:code>/", views.feedback_key, name="feedback_key"),
    path("feedback-act/<str:kind>/<str:code>/", views.feedback_act, name="feedback_act"),
    path("finding/<str:action>/<str:code>/", views.finding_act, name="finding_act"),
    path("dossiers/", views.dossier_list, name="dossier_list"),
    path("dossiers/receive/", views.dossier_receive, name="dossier_receive"),
    path("dossiers/export.xlsx", views.dossier_export, name="dossier_export"),
    path("dossier/<path:code>/", views.dossier_detail, name="dossier_detail"),
    path("dossier-receipt/<path:code>/", views.dossier_receipt, name="dossier_receipt"),
    path("dossier-key/<path:code>/", views.dossier_key, name="dossier_key"),
    path("dossier-act/<str:kind>/<path:code>/", views.dossier_act, name="dossier_act"),
    path("index/", views.service_index, name="service_index"),
    path("index/export.xlsx", views.service_index_export, name="service_index_export"),
]
