from django.urls import path

from . import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_log, name="audit"),
    path("notices/", views.notices, name="notices"),
    path("health/", views.health, name="health"),
]
