from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import api

urlpatterns = [
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/", include(api.urlpatterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI (served from the vendored sidecar package) under the same strict CSP as every
    # page: the split view serves its start-up script as a file (?script), and our template
    # moves the page's inline styles into a stylesheet.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="core/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("accounts/", include("jiceng.accounts.urls")),
    path("orgs/", include("jiceng.orgs.urls")),
    path("members/", include("jiceng.members.urls")),
    path("imports/", include("jiceng.imports.urls")),
    path("planning/", include("jiceng.planning.urls")),
    path("study/", include("jiceng.study.urls")),
    path("campaigns/", include("jiceng.campaigns.urls")),
    path("surveys/", include("jiceng.surveys.urls")),
    path("outreach/", include("jiceng.outreach.urls")),
    path("satisfaction/", include("jiceng.satisfaction.urls")),
    path("petitions/", include("jiceng.petitions.urls")),
    path("rectification/", include("jiceng.rectification.urls")),
    path("appraisal/", include("jiceng.appraisal.urls")),
    path("workers/", include("jiceng.workers.urls")),
    path("development/", include("jiceng.development.urls")),
    path("reports/", include("jiceng.reports.urls")),
    path("", include("jiceng.core.urls")),
]

handler404 = "jiceng.core.api.not_found"
