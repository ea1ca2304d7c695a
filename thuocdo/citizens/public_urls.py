"""The public portal (no login): /phan-anh/ ("phản ánh", feedback)."""

from django.urls import path

from . import portal

app_name = "portal"

urlpatterns = [
    path("", portal.submit, name="submit"),
    path("tra-cuu/", portal.lookup, name="lookup"),
    path("danh-gia/", portal.rate, name="rate"),
]
