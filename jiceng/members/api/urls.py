from django.urls import path

from jiceng.members.duplicates import api as duplicates
from jiceng.members.lost_contact import api as lost_contact
from jiceng.members.placement import api as placement
from jiceng.members.transfers import api as transfers

from . import views

urlpatterns = [
    path("members/", views.MemberListCreate.as_view(), name="api-member-list"),
    path("members/<int:pk>/", views.MemberDetail.as_view(), name="api-member-detail"),
    path(
        "members/<int:pk>/reveal/<str:field>/",
        views.MemberReveal.as_view(),
        name="api-member-reveal",
    ),
    path("members/mine/reads/", views.MyReads.as_view(), name="api-member-my-reads"),
    path("members/<int:pk>/place/", placement.MemberPlace.as_view(), name="api-member-place"),
    path("placement/unplaced/", placement.UnplacedList.as_view(), name="api-unplaced-list"),
    path("placement/accept/", placement.PlacementAccept.as_view(), name="api-placement-accept"),
    path("lost/candidates/", lost_contact.CandidateList.as_view(), name="api-lost-candidates"),
    path("lost/cases/", lost_contact.CaseListCreate.as_view(), name="api-lost-cases"),
    path("lost/cases/<int:pk>/", lost_contact.CaseDetail.as_view(), name="api-lost-case"),
    path(
        "lost/cases/<int:pk>/attempts/",
        lost_contact.CaseAttempt.as_view(),
        name="api-lost-attempt",
    ),
    path("lost/cases/<int:pk>/<str:action>/", lost_contact.CaseAct.as_view(), name="api-lost-act"),
    path("lost/report/", lost_contact.FoundReport.as_view(), name="api-lost-report"),
    path("duplicates/", duplicates.GroupList.as_view(), name="api-duplicate-groups"),
    path("duplicates/merge/", duplicates.Merge.as_view(), name="api-member-merge"),
    path("duplicates/dismiss/", duplicates.Dismiss.as_view(), name="api-duplicate-dismiss"),
    path("merges/<int:pk>/undo/", duplicates.MergeUndo.as_view(), name="api-merge-undo"),
    path("transfers/", transfers.TransferListCreate.as_view(), name="api-transfer-list"),
    path("transfers/bulk/", transfers.TransferBulk.as_view(), name="api-transfer-bulk"),
    path("transfers/<int:pk>/", transfers.TransferDetail.as_view(), name="api-transfer-detail"),
    path(
        "transfers/<int:pk>/<str:action>/",
        transfers.TransferAct.as_view(),
        name="api-transfer-act",
    ),
]
