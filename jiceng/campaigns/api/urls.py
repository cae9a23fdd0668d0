from django.urls import path

from ..chains import api as chains
from ..coverage import api as coverage
from ..guidance import api as guidance
from ..practices import api as practices
from ..progress import api as progress

urlpatterns = [
    path("campaigns/", progress.CampaignListCreate.as_view(), name="api-campaign-list"),
    path("campaigns/<int:pk>/", progress.CampaignDetail.as_view(), name="api-campaign-detail"),
    path(
        "campaigns/<int:pk>/progress/",
        progress.CampaignProgress.as_view(),
        name="api-campaign-progress",
    ),
    path(
        "campaigns/<int:pk>/lagging/",
        progress.CampaignLagging.as_view(),
        name="api-campaign-lagging",
    ),
    path("campaign-units/<int:pk>/", progress.UnitDetail.as_view(), name="api-campaign-unit"),
    path(
        "campaign-units/<int:pk>/coverage/",
        coverage.UnitCoverage.as_view(),
        name="api-campaign-unit-coverage",
    ),
    path("campaigns/<int:pk>/tasks/", chains.CampaignTasks.as_view(), name="api-campaign-tasks"),
    path("campaign-tasks/<int:pk>/done/", chains.TaskDone.as_view(), name="api-task-done"),
    path(
        "campaigns/<int:pk>/coverage/",
        coverage.CampaignCoverage.as_view(),
        name="api-campaign-coverage",
    ),
    path(
        "campaigns/<int:pk>/four-ones/",
        practices.CampaignFourOnes.as_view(),
        name="api-four-ones",
    ),
    path(
        "four-ones/<int:pk>/confirm/",
        practices.FourOnesConfirm.as_view(),
        name="api-four-ones-confirm",
    ),
    path(
        "campaigns/<int:pk>/guidance/",
        guidance.CampaignGuidance.as_view(),
        name="api-campaign-guidance",
    ),
    path(
        "campaign-units/<int:pk>/<str:action>/",
        progress.UnitAct.as_view(),
        name="api-campaign-unit-act",
    ),
]
