"""Routes of membership development (发展党员)."""

from django.urls import path

from . import views

app_name = "development"

urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("cases/", views.development_list, name="list"),
    path("new/", views.development_create, name="create"),
    path("documents/<str:kind>.<str:fmt>", views.document, name="document"),
    path("<int:pk>/", views.development_detail, name="detail"),
    path("<int:pk>/step/<str:step>/", views.development_step, name="step"),
    path("<int:pk>/withdraw/", views.development_withdraw, name="withdraw"),
    path("<int:pk>/reveal/<str:field>/", views.development_reveal, name="reveal"),
]
