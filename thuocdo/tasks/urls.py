from django.urls import path

from . import views

app_name = "tasks"

# Codes may contain "/" (exchange-format codes are any non-blank text), hence <path:code>
# last; each prefix has one meaning so no code can be mistaken for another route.
urlpatterns = [
    path("", views.my_work, name="my_work"),
    path("my-work/summary/", views.my_work_summary, name="my_work_summary"),
    path("list/", views.task_list, name="task_list"),
    path("export/tasks.xlsx", views.task_export, name="task_export"),
    path("assign/", views.task_assign, name="task_assign"),
    path("officials/", views.official_options, name="official_options"),
    path("task/<path:code>/", views.task_detail, name="task_detail"),
    path("act/<str:kind>/<path:code>/", views.task_act, name="task_act"),
    path("directives/", views.directive_list, name="directive_list"),
    path("directive/<path:code>/", views.directive_detail, name="directive_detail"),
]
