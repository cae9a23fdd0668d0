from django.urls import path

from . import transfers, views

urlpatterns = [
    path("members/", views.MemberListCreate.as_view(), name="api-member-list"),
    path("members/<int:pk>/", views.MemberDetail.as_view(), name="api-member-detail"),
    path(
        "members/<int:pk>/reveal/<str:field>/",
        views.MemberReveal.as_view(),
        name="api-member-reveal",
    ),
    path("transfers/", transfers.TransferListCreate.as_view(), name="api-transfer-list"),
    path("transfers/bulk/", transfers.TransferBulk.as_view(), name="api-transfer-bulk"),
    path("transfers/<int:pk>/", transfers.TransferDetail.as_view(), name="api-transfer-detail"),
    path(
        "transfers/<int:pk>/<str:action>/",
        transfers.TransferAct.as_view(),
        name="api-transfer-act",
    ),
]
