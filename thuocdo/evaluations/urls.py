"""Pages of evaluations, under /scores/."""

from django.urls import path

from . import views

app_name = "evaluations"

urlpatterns = [
    path("", views.period_list, name="period_list"),
    path("me/", views.my_card, name="my_card"),
    path("appeals/<int:pk>/", views.appeal_decide, name="appeal_decide"),
    # the organisation board's pages (before "<label>/", which would take their names)
    path("open/", views.period_open, name="period_open"),
    path("grounds/", views.ground_list, name="ground_list"),
    path("grounds/add/", views.ground_add, name="ground_add"),
    path("grounds/export.xlsx", views.ground_export, name="ground_export"),
    path("grounds/<int:pk>/reason/", views.ground_reason, name="ground_reason"),
    path("grounds/<int:pk>/withdraw/", views.ground_withdraw, name="ground_withdraw"),
    path("quota-exceptions/", views.quota_exception_list, name="quota_exception_list"),
    path("quota-exceptions/add/", views.quota_exception_add, name="quota_exception_add"),
    path("quota-exceptions/<int:pk>/change/", views.quota_exception_change,
         name="quota_exception_change"),
    path("quota-exceptions/<int:pk>/remove/", views.quota_exception_remove,
         name="quota_exception_remove"),
    path("<str:label>/", views.period_detail, name="period_detail"),
    path("<str:label>/act/<str:action>/", views.period_act, name="period_act"),
    path("<str:label>/card/<str:official>/", views.card_detail, name="card_detail"),
    path("<str:label>/card/<str:official>/export.xlsx", views.card_export,
         name="card_export"),
    path("<str:label>/card/<str:official>/unit-tasks/", views.card_unit_tasks,
         name="card_unit_tasks"),
    path("<str:label>/card/<str:official>/self/", views.card_self_score,
         name="card_self_score"),
    path("<str:label>/card/<str:official>/appeal/", views.appeal_create,
         name="appeal_create"),
    path("<str:label>/unit/<str:code>/", views.unit_ranking, name="unit_ranking"),
    path("<str:label>/unit/<str:code>/review/", views.unit_review, name="unit_review"),
    path("<str:label>/unit/<str:code>/approve/", views.agency_approve, name="agency_approve"),
    path("<str:label>/unit/<str:code>/export.xlsx", views.unit_export, name="unit_export"),
]
