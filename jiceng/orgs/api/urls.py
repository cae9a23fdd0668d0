from django.urls import path

from . import views

urlpatterns = [
    path("organizations/", views.OrganizationListCreate.as_view(), name="api-org-list"),
    path("organizations/<int:pk>/", views.OrganizationDetail.as_view(), name="api-org-detail"),
    path(
        "organizations/<int:pk>/weak-candidates/",
        views.WeakCandidates.as_view(),
        name="api-org-weak-candidates",
    ),
    path(
        "organizations/<int:pk>/secretary-vacancies/",
        views.SecretaryVacancies.as_view(),
        name="api-org-secretary-vacancies",
    ),
    path(
        "organizations/<int:pk>/size-suggestions/",
        views.SizeSuggestions.as_view(),
        name="api-org-size-suggestions",
    ),
    path("rectifications/", views.RectificationListCreate.as_view(), name="api-rectification-list"),
    path(
        "rectifications/<int:pk>/",
        views.RectificationDetail.as_view(),
        name="api-rectification-detail",
    ),
    path(
        "rectifications/<int:pk>/<slug:step>/",
        views.RectificationStepView.as_view(),
        name="api-rectification-step",
    ),
]
