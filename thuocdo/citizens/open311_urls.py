"""Open311 GeoReport v2 (/open311/v2/)."""

from django.urls import path

from . import open311

app_name = "open311"

urlpatterns = [
    path("services.json", open311.services_json, name="services"),
    path("requests.json", open311.requests_json, name="requests"),
    path("requests/<str:code>.json", open311.request_json, name="request"),
    # only JSON is served: any other format is a 400 in the error format
    path("services.<str:fmt>", open311.unsupported_format, name="services_format"),
    path("requests.<str:fmt>", open311.unsupported_format, name="requests_format"),
    path("requests/<str:code>.<str:fmt>", open311.unsupported_format, name="request_format"),
]
