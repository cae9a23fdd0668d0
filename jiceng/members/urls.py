from django.urls import path

from . import views
from .duplicates import views as duplicate_views
from .lost_contact import views as lost_contact_views
from .placement import views as placement_views
from .transfers import views as transfer_views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/reveal/<str:field>/", views.reveal, name="reveal"),
    path("mine/reads/", views.my_reads, name="my-reads"),
    path("unplaced/", placement_views.unplaced, name="unplaced"),
    path("unplaced/<int:pk>/accept/", placement_views.accept, name="unplaced-accept"),
    path("<int:pk>/place/", placement_views.place, name="place"),
    path("lost/", lost_contact_views.worklist, name="lost"),
    path("lost/report/", lost_contact_views.report, name="lost-report"),
    path("lost/open/<int:pk>/", lost_contact_views.open_cases, name="lost-open"),
    path("lost/<int:pk>/", lost_contact_views.case_detail, name="lost-case"),
    path("lost/<int:pk>/attempt/", lost_contact_views.case_attempt, name="lost-attempt"),
    path("lost/<int:pk>/<str:action>/", lost_contact_views.case_act, name="lost-act"),
    path("<int:pk>/contact/", lost_contact_views.contact, name="contact"),
    path("duplicates/", duplicate_views.worklist, name="duplicates"),
    path("duplicates/<int:keep>/<int:drop>/", duplicate_views.compare, name="duplicate-compare"),
    path(
        "duplicates/<int:keep>/<int:drop>/dismiss/",
        duplicate_views.dismiss,
        name="duplicate-dismiss",
    ),
    path(
        "duplicates/dismissals/<int:pk>/undo/",
        duplicate_views.dismissal_undo,
        name="dismissal-undo",
    ),
    path("merges/", duplicate_views.merge_list, name="merges"),
    path("merges/<int:pk>/", duplicate_views.merge_detail, name="merge"),
    path("merges/<int:pk>/undo/", duplicate_views.merge_undo, name="merge-undo"),
    path("secretary/<int:org_pk>/", views.appoint_secretary, name="appoint-secretary"),
    path("<int:member_pk>/transfer/", transfer_views.transfer_request, name="transfer-request"),
    path("transfers/", transfer_views.transfer_list, name="transfer-list"),
    path("transfers/bulk/", transfer_views.transfer_bulk, name="transfer-bulk"),
    path("transfers/<int:pk>/", transfer_views.transfer_detail, name="transfer-detail"),
    path("transfers/<int:pk>/letter/", transfer_views.transfer_letter, name="transfer-letter"),
    path("transfers/<int:pk>/<str:action>/", transfer_views.transfer_act, name="transfer-act"),
]
