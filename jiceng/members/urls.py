from django.urls import path

from . import placement_views, transfer_views, views

app_name = "members"
urlpatterns = [
    path("", views.member_list, name="list"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/reveal/<str:field>/", views.reveal, name="reveal"),
    path("unplaced/", placement_views.unplaced, name="unplaced"),
    path("unplaced/<int:pk>/accept/", placement_views.accept, name="unplaced-accept"),
    path("<int:pk>/place/", placement_views.place, name="place"),
    path("secretary/<int:org_pk>/", views.appoint_secretary, name="appoint-secretary"),
    path("<int:member_pk>/transfer/", transfer_views.transfer_request, name="transfer-request"),
    path("transfers/", transfer_views.transfer_list, name="transfer-list"),
    path("transfers/bulk/", transfer_views.transfer_bulk, name="transfer-bulk"),
    path("transfers/<int:pk>/", transfer_views.transfer_detail, name="transfer-detail"),
    path("transfers/<int:pk>/letter/", transfer_views.transfer_letter, name="transfer-letter"),
    path("transfers/<int:pk>/<str:action>/", transfer_views.transfer_act, name="transfer-act"),
]
