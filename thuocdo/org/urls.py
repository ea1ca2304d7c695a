from django.urls import path

from . import views

app_name = "org"

# Codes may contain "/" (exchange-format codes are any non-blank text), hence <path:code>;
# each prefix has one meaning so no code can be mistaken for another route.
urlpatterns = [
    path("units/", views.unit_tree, name="unit_tree"),
    path("units/<path:code>/", views.unit_detail, name="unit_detail"),
    path("tree/<path:code>/", views.unit_node, name="unit_node"),
    path("officials/", views.official_list, name="official_list"),
    path("export/officials.xlsx", views.official_export, name="official_export"),
    path("officials/<path:code>/", views.official_detail, name="official_detail"),
]
