from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "jiceng.planning"
    label = "planning"
    verbose_name = "规划"
