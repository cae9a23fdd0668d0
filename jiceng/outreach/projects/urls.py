"""Routes of support projects (S28), included by ``outreach.urls``."""

from django.urls import path

from . import views

urlpatterns = [
    path("projects/", views.project_list, name="project-list"),
    path("projects/new/", views.project_create, name="project-create"),
    path("projects/mine/", views.my_projects, name="my-projects"),
    path("projects/<int:pk>/", views.project_detail, name="project-detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project-edit"),
    path("projects/<int:pk>/act/<str:action>/", views.project_act, name="project-act"),
    path("projects/<int:pk>/goals/", views.goal_add, name="project-goal-add"),
    path(
        "projects/<int:pk>/goals/<int:goal_pk>/remove/",
        views.goal_remove,
        name="project-goal-remove",
    ),
    path("projects/<int:pk>/members/", views.project_members, name="project-members"),
    path(
        "projects/<int:pk>/members/<int:assignment_pk>/remove/",
        views.member_remove,
        name="project-member-remove",
    ),
    path("projects/<int:pk>/progress/", views.project_progress, name="project-progress"),
]
