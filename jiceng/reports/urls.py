"""Routes of summary reports (issue 22)."""

from django.urls import path

from . import dashboard_views, views

app_name = "reports"

urlpatterns = [
    path("", views.report_list, name="list"),
    path("<int:pk>/", views.report_detail, name="detail"),
    path("<int:pk>/progress/", views.report_progress, name="progress"),
    path("<int:pk>/docx/", views.report_docx, name="docx"),
    path("<int:pk>/rows/<str:ref>/", views.figure_rows, name="rows"),
    path("<int:pk>/compare/<int:other>/", views.report_compare, name="compare"),
    # the officer's dashboard and map (issue 22 item 2)
    path("dashboard/", dashboard_views.dashboard_page, name="dashboard"),
    path("dashboard/panel/", dashboard_views.dashboard_panel, name="dashboard-panel"),
    path("figures/<str:key>/", dashboard_views.figure_rows, name="figure-rows"),
]
