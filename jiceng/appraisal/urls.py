"""Routes of unit appraisal (issue 21 item 4)."""

from django.urls import path

from . import views

app_name = "appraisal"

urlpatterns = [
    path("", views.ranking, name="ranking"),
    path("weights/", views.weights, name="weights"),
    path("campaigns/<int:campaign_pk>/run/", views.run_start, name="run-start"),
    path("runs/<int:pk>/progress/", views.run_progress, name="run-progress"),
    path("scores/<int:pk>/", views.score_detail, name="score"),
    path("scores/<int:pk>/rows/<str:indicator>/", views.score_rows, name="score-rows"),
]
