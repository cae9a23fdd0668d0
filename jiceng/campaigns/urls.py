from django.urls import path

from . import views

app_name = "campaigns"
urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/lagging/", views.campaign_lagging, name="lagging"),
    path("<int:pk>/launch/", views.campaign_launch, name="launch"),
    path("<int:pk>/guidance/", views.campaign_guidance, name="guidance"),
    path("<int:pk>/tasks/", views.campaign_tasks, name="tasks"),
    path("<int:pk>/tasks/from-step/", views.campaign_tasks_from_step, name="tasks-from-step"),
    path("<int:pk>/coverage/", views.campaign_coverage, name="coverage"),
    path("<int:pk>/practices/", views.campaign_practices, name="practices"),
    path("practices/<int:pk>/activity/", views.practice_activity, name="practice-activity"),
    path("mine/", views.my_campaign, name="mine"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("units/<int:pk>/<str:action>/", views.unit_act, name="unit-act"),
    path("units/<int:pk>/do/<str:what>/", views.unit_do, name="unit-do"),
    path("plan-items/<int:pk>/", views.plan_item_mark, name="plan-item"),
    path("tasks/<int:pk>/done/", views.task_done, name="task-done"),
    path("four-ones/<int:pk>/confirm/", views.four_ones_confirm, name="four-ones-confirm"),
]
