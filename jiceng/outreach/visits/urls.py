"""Routes of visits and the needs raised at them (included by ``outreach.urls``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("visits/", views.visit_list, name="visit-list"),
    path("visits/new/", views.visit_new, name="visit-new"),
    path("visits/mine/", views.my_visits, name="my-visits"),
    path("visits/counts/", views.visit_counts, name="visit-counts"),
    path("visits/<int:pk>/", views.visit_detail, name="visit-detail"),
    path("visits/<int:pk>/confirm/", views.visit_confirm, name="visit-confirm"),
    path("visits/<int:pk>/return/", views.visit_return, name="visit-return"),
    path("visits/<int:pk>/resubmit/", views.visit_resubmit, name="visit-resubmit"),
    path("needs/", views.needs, name="needs"),
    path("needs/<int:pk>/follow-up/", views.need_follow_up, name="need-follow-up"),
]
