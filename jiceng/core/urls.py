from django.urls import path

from . import views
from .attachments import views as attachments

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_log, name="audit"),
    path("notices/", views.notices, name="notices"),
    path("health/", views.health, name="health"),
    path("files/<uuid:pk>/", attachments.download, name="attachment"),
    path("files/<uuid:pk>/thumb/", attachments.thumb, name="attachment-thumb"),
    path("files/<uuid:pk>/remove/", attachments.remove, name="attachment-remove"),
    path("files/<slug:key>/<int:owner_id>/upload/", attachments.upload, name="attachment-upload"),
]
