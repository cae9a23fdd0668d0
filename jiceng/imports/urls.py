from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("<uuid:pk>/", views.job_detail, name="detail"),
    path("<uuid:pk>/start/", views.job_start, name="start"),
    path("<uuid:pk>/errors.xlsx", views.error_report, name="errors"),
    path("export/members.<str:fmt>", views.export_members, name="export-members"),
    path("export/organizations.<str:fmt>", views.export_organizations, name="export-organizations"),
    path("export/jobs/", views.export_job_list, name="exports"),
    path("export/jobs/<uuid:pk>/", views.export_job_detail, name="export-detail"),
    path("export/jobs/<uuid:pk>/download", views.export_job_download, name="export-download"),
]
