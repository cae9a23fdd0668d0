"""The API's routes: thin DRF views over the same services and selectors as the pages."""

from django.urls import include, path

urlpatterns = [
    path("", include("jiceng.orgs.api.urls")),
    path("", include("jiceng.members.api.urls")),
    path("", include("jiceng.accounts.api.urls")),
    path("", include("jiceng.planning.api.urls")),
    path("", include("jiceng.study.api.urls")),
    path("", include("jiceng.campaigns.api.urls")),
    path("", include("jiceng.surveys.api.urls")),
    path("outreach/", include("jiceng.outreach.api.urls")),
    path("satisfaction/", include("jiceng.satisfaction.api")),
    path("", include("jiceng.petitions.api")),
    path("", include("jiceng.rectification.api")),
    path("appraisal/", include("jiceng.appraisal.api")),
    path("reports/", include("jiceng.reports.api")),
    path("workers/", include("jiceng.workers.api")),
    path("development/", include("jiceng.development.api")),
]
