"""The public portal (no login): /phan-anh/ ("phản ánh", feedback), its receipt
/phan-anh/bien-nhan/ ("biên nhận") and the applicant's pages of a dossier, /phan-anh/ho-so/
("hồ sơ")."""

from django.urls import path

from . import portal

app_name = "portal"

urlpatterns = [
    path("", portal.submit, name="submit"),
    path("bien-nhan/<str:code>/", portal.receipt, name="receipt"),
    path("tra-cuu/", portal.lookup, name="lookup"),
    path("danh-gia/", portal.rate, name="rate"),
    path("ho-so/", portal.dossier_lookup, name="dossier_lookup"),
    path("ho-so/danh-gia/", portal.dossier_rate, name="dossier_rate"),
]
