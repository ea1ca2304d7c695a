from django.urls import path

from . import views

app_name = "accountability"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/dashboard.xlsx", views.dashboard_export, name="dashboard_export"),
    path("signals/", views.signal_list, name="signal_list"),
    path("signals/export.xlsx", views.signal_export, name="signal_export"),
    path("signals/new/", views.signal_record, name="signal_record"),
    path("signals/<int:pk>/", views.signal_detail, name="signal_detail"),
    path("signals/<int:pk>/<str:action>/", views.signal_act, name="signal_act"),
    path("tasks/", views.counted_tasks, name="counted_tasks"),
    path("delays/", views.delay_list, name="delay_list"),
    path("delays/export.xlsx", views.delay_export, name="delay_export"),
    path("cascade-tasks/", views.cascade_tasks, name="cascade_tasks"),
    path("cascade/<path:code>/", views.directive_cascade, name="directive_cascade"),
]
