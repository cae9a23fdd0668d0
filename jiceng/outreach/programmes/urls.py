"""Routes of service programmes (S27; included by ``outreach.urls``)."""

from django.urls import path

from . import views

urlpatterns = [
    path("services/", views.programme_list, name="service-list"),
    path("services/new/", views.programme_new, name="service-new"),
    path("services/overdue/", views.overdue, name="service-overdue"),
    path("services/mine/", views.my_tasks, name="my-service-tasks"),
    path("services/<int:pk>/", views.programme_detail, name="service-detail"),
    path("services/<int:pk>/edit/", views.programme_edit, name="service-edit"),
    path("services/<int:pk>/activate/", views.programme_activate, name="service-activate"),
    path("services/<int:pk>/close/", views.programme_close, name="service-close"),
    path("services/<int:pk>/schedule/", views.programme_schedule, name="service-schedule"),
    path(
        "services/<int:pk>/schedule/progress/",
        views.schedule_progress,
        name="service-schedule-progress",
    ),
    path("services/<int:pk>/enrol/", views.programme_enrol, name="service-enrol"),
    path("service-cards/<int:pk>/", views.card_detail, name="service-card"),
    path("service-cards/<int:pk>/withdraw/", views.card_withdraw, name="service-card-withdraw"),
    path("service-tasks/<int:pk>/done/", views.task_done, name="service-task-done"),
    path("service-tasks/<int:pk>/missed/", views.task_missed, name="service-task-missed"),
]
