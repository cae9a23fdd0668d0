from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/lagging/", views.campaign_lagging, name="lagging"),
    path("<int:pk>/launch/", views.campaign_launch, name="launch"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("units/<int:pk>/<str:action>/", views.unit_act, name="unit-act"),
]
