"""Routes of double pairing (S26), included by ``outreach.urls``."""

from django.urls import path

from . import views

urlpatterns = [
    path("pairings/", views.pairing_list, name="pairing-list"),
    path("pairings/new/", views.pairing_new, name="pairing-new"),
    path("pairings/export.<str:fmt>", views.pairing_export, name="pairing-export"),
    path("pairings/coverage/", views.coverage, name="pairing-coverage"),
    path("pairings/<int:pk>/confirm/", views.pairing_confirm, name="pairing-confirm"),
    path("pairings/<int:pk>/end/", views.pairing_end, name="pairing-end"),
    path("pairings/units/", views.unit_pairing_list, name="unit-pairing-list"),
    path("pairings/units/new/", views.unit_pairing_new, name="unit-pairing-new"),
    path(
        "pairings/units/<int:pk>/confirm/",
        views.unit_pairing_confirm,
        name="unit-pairing-confirm",
    ),
    path("pairings/units/<int:pk>/end/", views.unit_pairing_end, name="unit-pairing-end"),
]
