from django.urls import path

from ..pairings.api import urlpatterns as pairing_patterns
from ..programmes.api import urlpatterns as programme_patterns
from ..projects.api import urlpatterns as project_patterns
from ..visits.api import urlpatterns as visit_patterns
from . import registry

urlpatterns = [
    path("needy/", registry.NeedyList.as_view(), name="api-needy-list"),
    path("needy/categories/", registry.CategoryList.as_view(), name="api-needy-categories"),
    path("needy/<int:pk>/", registry.NeedyDetail.as_view(), name="api-needy-detail"),
    path("needy/<int:pk>/status/", registry.NeedyStatusChange.as_view(), name="api-needy-status"),
    path(
        "needy/<int:pk>/reveal/<str:field>/",
        registry.NeedyReveal.as_view(),
        name="api-needy-reveal",
    ),
    *visit_patterns,
    *pairing_patterns,
    *project_patterns,
    *programme_patterns,
]
