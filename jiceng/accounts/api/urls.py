from django.urls import path

from . import views

urlpatterns = [
    path("auth/token/", views.ApiToken.as_view(), name="api-token"),
    path("me/", views.Me.as_view(), name="api-me"),
]
