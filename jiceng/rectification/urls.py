"""Routes of rectification items (S20, S22)."""

from django.urls import path

from . import views

app_name = "rectification"

urlpatterns = [
    path("", views.item_list, name="item-list"),
    path("new/", views.item_create, name="item-create"),
    path("checks/", views.checks, name="checks"),
    path("<int:pk>/", views.item_detail, name="item-detail"),
    path("<int:pk>/edit/", views.item_edit, name="item-edit"),
    path("<int:pk>/start/", views.item_start, name="item-start"),
    path("<int:pk>/complete/", views.item_complete, name="item-complete"),
    path("<int:pk>/verdict/", views.item_verdict, name="item-verdict"),
    path("<int:pk>/sources/", views.source_add, name="source-add"),
    path("<int:pk>/batches/", views.campaign_add, name="campaign-add"),
    path("<int:pk>/arrangement/", views.arrangement_set, name="arrangement"),
    path("<int:pk>/checks/", views.check_add, name="check-add"),
]
