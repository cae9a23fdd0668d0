from django.urls import path

from . import views

urlpatterns = [
    path("members/", views.MemberListCreate.as_view(), name="api-member-list"),
    path("members/<int:pk>/", views.MemberDetail.as_view(), name="api-member-detail"),
    path(
        "members/<int:pk>/reveal/<str:field>/",
        views.MemberReveal.as_view(),
        name="api-member-reveal",
    ),
]
