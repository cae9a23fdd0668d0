from django.urls import path

from . import views

urlpatterns = [
    path("campaigns/", views.CampaignListCreate.as_view(), name="api-campaign-list"),
    path("campaigns/<int:pk>/", views.CampaignDetail.as_view(), name="api-campaign-detail"),
    path(
        "campaigns/<int:pk>/progress/",
        views.CampaignProgress.as_view(),
        name="api-campaign-progress",
    ),
    path(
        "campaigns/<int:pk>/lagging/", views.CampaignLagging.as_view(), name="api-campaign-lagging"
    ),
    path("campaign-units/<int:pk>/", views.UnitDetail.as_view(), name="api-campaign-unit"),
    path(
        "campaign-units/<int:pk>/<str:action>/",
        views.UnitAct.as_view(),
        name="api-campaign-unit-act",
    ),
]
