from django.urls import path

from . import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("search/", views.search, name="search"),
    path("pick/", views.pick, name="pick"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/children/", views.tree_children, name="children"),
    path("<int:pk>/found/", views.found, name="found"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/move/", views.move, name="move"),
    path("<int:pk>/merge/", views.merge, name="merge"),
    path("<int:pk>/abolish/", views.abolish, name="abolish"),
    # organisation health (S11, S12)
    path("health/", views.health_home, name="health-home"),
    path("<int:pk>/health/", views.health_overview, name="health"),
    path("<int:pk>/designate/", views.designate, name="designate"),
    path("rectifications/<int:pk>/", views.rectification_detail, name="rectification"),
    path("rectifications/<int:pk>/plan/", views.rectification_plan, name="rectification-plan"),
    path("rectifications/<int:pk>/notes/", views.rectification_note, name="rectification-note"),
    path("rectifications/<int:pk>/close/", views.rectification_close, name="rectification-close"),
    path(
        "rectifications/<int:pk>/<slug:step>/",
        views.rectification_step,
        name="rectification-step",
    ),
]
