"""Pages of the exchange format (included under /exchange/ in the "exchange" namespace)."""

from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("import/", views.import_document_page, name="import"),
    path("import/confirm/", views.import_confirm, name="import_confirm"),
    path("export/", views.export_page, name="export"),
    path("export/download/", views.export_download, name="export_download"),
]
