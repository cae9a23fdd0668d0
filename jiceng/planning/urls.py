from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("", views.plan_list, name="list"),
    path("new/", views.plan_create, name="create"),
    path("compare/", views.plan_compare, name="compare"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/map.json", views.plan_map, name="map"),
    path("<int:pk>/export.csv", views.plan_export, name="export"),
    path("<int:pk>/run/", views.plan_run, name="run"),
    path("<int:pk>/move/", views.plan_move, name="move"),
    path("<int:pk>/apply/", views.plan_apply, name="apply"),
    path("<int:pk>/confirm/", views.plan_confirm, name="confirm"),
    path("<int:pk>/revert/", views.plan_revert, name="revert"),
]
