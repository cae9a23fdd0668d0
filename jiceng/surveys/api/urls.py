from django.urls import path

from . import views

urlpatterns = [
    path(
        "appraisal-units/<int:pk>/",
        views.UnitAppraisals.as_view(),
        name="api-appraisal-unit",
    ),
    path(
        "appraisal-units/<int:pk>/open/",
        views.UnitOpen.as_view(),
        name="api-appraisal-open",
    ),
    path(
        "appraisal-units/<int:pk>/close-peer-review/",
        views.UnitClosePeers.as_view(),
        name="api-appraisal-close-peers",
    ),
    path(
        "appraisal-units/<int:pk>/decide/",
        views.UnitDecide.as_view(),
        name="api-appraisal-decide-bulk",
    ),
    path("appraisals/<int:pk>/", views.AppraisalDetail.as_view(), name="api-appraisal-detail"),
    path(
        "appraisals/<int:pk>/self-analysis/",
        views.AppraisalSelfAnalysis.as_view(),
        name="api-appraisal-self-analysis",
    ),
    path("appraisals/<int:pk>/rate/", views.AppraisalRate.as_view(), name="api-appraisal-rate"),
    path(
        "appraisals/<int:pk>/decide/", views.AppraisalDecide.as_view(), name="api-appraisal-decide"
    ),
    path(
        "campaigns/<int:pk>/appraisal-results/",
        views.Results.as_view(),
        name="api-appraisal-results",
    ),
]
