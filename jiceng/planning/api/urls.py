from django.urls import path

from . import views

urlpatterns = [
    path("plans/", views.PlanListCreate.as_view(), name="api-plan-list"),
    path("plans/<int:pk>/", views.PlanDetail.as_view(), name="api-plan-detail"),
    path("plans/<int:pk>/run/", views.PlanRun.as_view(), name="api-plan-run"),
    path(
        "plans/<int:pk>/assignments/", views.PlanAssignments.as_view(), name="api-plan-assignments"
    ),
    path("plans/<int:pk>/pairings/", views.PlanPairings.as_view(), name="api-plan-pairings"),
    path("plans/<int:pk>/move/", views.PlanMove.as_view(), name="api-plan-move"),
    path("plans/<int:pk>/apply/", views.PlanApply.as_view(), name="api-plan-apply"),
    path("plans/<int:pk>/confirm/", views.PlanConfirm.as_view(), name="api-plan-confirm"),
    path("plans/<int:pk>/revert/", views.PlanRevert.as_view(), name="api-plan-revert"),
]
