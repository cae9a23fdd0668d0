from django.urls import path

from . import views

app_name = "study"
urlpatterns = [
    path("", views.study_home, name="home"),
    path("me/", views.my_record, name="mine"),
    path("periods/", views.period_list, name="periods"),
    path("periods/<int:pk>/", views.period_detail, name="period"),
    path("orgs/<int:pk>/", views.unit_ledger, name="unit"),
    path("orgs/<int:pk>/below/", views.below_list, name="below"),
    path("orgs/<int:pk>/sessions/new/", views.session_create, name="session-create"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("members/<int:pk>/", views.member_record, name="member"),
    path("members/<int:pk>/self-study/", views.selfstudy_create, name="selfstudy-create"),
    path("self-study/<int:pk>/confirm/", views.selfstudy_confirm, name="selfstudy-confirm"),
]
