"""API routes of the exchange format (included under /api/ in the "api" namespace)."""

from django.urls import path

from . import api

urlpatterns = [
    path("exchange/schema/", api.ExchangeSchemaView.as_view(), name="exchange-schema"),
    path("exchange/export/", api.ExchangeExportView.as_view(), name="exchange-export"),
]
