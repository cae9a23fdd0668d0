from django.urls import path

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
]
