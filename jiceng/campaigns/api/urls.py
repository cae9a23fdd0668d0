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
        "campaign-units/<int:pk>/coverage/",
        views.UnitCoverage.as_view(),
        name="api-campaign-unit-coverage",
    ),
    path("campaigns/<int:pk>/tasks/", views.CampaignTasks.as_view(), name="api-campaign-tasks"),
    path("campaign-tasks/<int:pk>/done/", views.TaskDone.as_view(), name="api-task-done"),
    path(
        "campaigns/<int:pk>/coverage/",
        views.CampaignCoverage.as_view(),
        name="api-campaign-coverage",
    ),
    path("campaigns/<int:pk>/four-ones/", views.CampaignFourOnes.as_view(), name="api-four-ones"),
    path(
        "four-ones/<int:pk>/confirm/", views.FourOnesConfirm.as_view(), name="api-four-ones-confirm"
    ),
    path(
        "campaigns/<int:pk>/guidance/",
        views.CampaignGuidance.as_view(),
        name="api-campaign-guidance",
    ),
    path(
        "campaign-units/<int:pk>/<str:action>/",
        views.UnitAct.as_view(),
        name="api-campaign-unit-act",
    ),
]
