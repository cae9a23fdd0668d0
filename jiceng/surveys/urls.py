from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("appraisal/mine/", views.mine, name="mine"),
    path("appraisal/units/<int:pk>/", views.unit_sheet, name="unit"),
    path("appraisal/units/<int:pk>/open/", views.unit_open, name="unit-open"),
    path("appraisal/units/<int:pk>/close-peers/", views.unit_close_peers, name="unit-close-peers"),
    path("appraisal/units/<int:pk>/decide/", views.unit_decide, name="unit-decide"),
    path("appraisal/<int:pk>/", views.appraisal_detail, name="appraisal"),
    path("appraisal/<int:pk>/decide/", views.appraisal_decide, name="appraisal-decide"),
    path("appraisal/<int:pk>/self-analysis/", views.self_analysis, name="self-analysis"),
    path("appraisal/<int:pk>/rate/", views.rate, name="rate"),
    path("appraisal/results/<int:pk>/", views.results, name="results"),
]
