from django.urls import path

from . import views

urlpatterns = [
    path("study/sessions/", views.SessionListCreate.as_view(), name="api-study-session-list"),
    path(
        "study/sessions/<int:pk>/", views.SessionDetail.as_view(), name="api-study-session-detail"
    ),
    path(
        "study/orgs/<int:pk>/completion/",
        views.MemberCompletion.as_view(),
        name="api-study-completion",
    ),
    path("study/orgs/<int:pk>/below/", views.BelowRequirement.as_view(), name="api-study-below"),
    path("study/orgs/<int:pk>/units/", views.UnitCompletion.as_view(), name="api-study-units"),
    path("study/self-study/", views.SelfStudyListCreate.as_view(), name="api-study-selfstudy-list"),
    path(
        "study/self-study/<int:pk>/confirm/",
        views.SelfStudyConfirm.as_view(),
        name="api-study-selfstudy-confirm",
    ),
]
