"""Routes of petitions (信访, S21)."""

from django.urls import path

from . import views

app_name = "petitions"

urlpatterns = [
    path("", views.petition_list, name="list"),
    path("overdue/", views.overdue, name="overdue"),
    path("new/", views.petition_create, name="create"),
    path("statistics/", views.statistics, name="statistics"),
    path("<int:pk>/", views.petition_detail, name="detail"),
    path("<int:pk>/route/", views.petition_route, name="route"),
    path("<int:pk>/transfer/", views.petition_transfer, name="transfer"),
    path("<int:pk>/act/<str:action>/", views.petition_act, name="act"),
    path("<int:pk>/reveal/<str:field>/", views.petition_reveal, name="reveal"),
]
