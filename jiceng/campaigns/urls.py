from django.urls import path

from . import views
from .chains import views as chains
from .coverage import views as coverage
from .guidance import views as guidance
from .practices import views as practices
from .progress import views as progress

app_name = "campaigns"
urlpatterns = [
    path("", progress.campaign_list, name="list"),
    path("new/", progress.campaign_create, name="create"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", progress.campaign_edit, name="edit"),
    path("<int:pk>/lagging/", progress.campaign_lagging, name="lagging"),
    path("<int:pk>/launch/", progress.campaign_launch, name="launch"),
    path("<int:pk>/guidance/", guidance.campaign_guidance, name="guidance"),
    path("<int:pk>/tasks/", chains.campaign_tasks, name="tasks"),
    path("<int:pk>/tasks/from-step/", chains.campaign_tasks_from_step, name="tasks-from-step"),
    path("<int:pk>/coverage/", coverage.campaign_coverage, name="coverage"),
    path("<int:pk>/practices/", practices.campaign_practices, name="practices"),
    path("practices/<int:pk>/activity/", practices.practice_activity, name="practice-activity"),
    path("mine/", views.my_campaign, name="mine"),
    path("units/<int:pk>/", views.unit_detail, name="unit"),
    path("units/<int:pk>/<str:action>/", progress.unit_act, name="unit-act"),
    path("units/<int:pk>/do/<str:what>/", views.unit_do, name="unit-do"),
    path("plan-items/<int:pk>/", guidance.plan_item_mark, name="plan-item"),
    path("tasks/<int:pk>/done/", chains.task_done, name="task-done"),
    path("four-ones/<int:pk>/confirm/", practices.four_ones_confirm, name="four-ones-confirm"),
]
